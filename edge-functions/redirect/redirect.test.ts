import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('redirect', code, 'viewer-request');

test('a path in the permanent table is answered with 301 and keeps its query string', async () => {
  const seenBefore = env.origin.seen.length;
  const res = await send(`${env.edge.url}/old-page?utm_source=mail&x=1`);
  expect(res.status).toBe(301);
  expect(res.statusMessage).toBe('Moved Permanently');
  expect(res.headers.location).toBe('/?utm_source=mail&x=1');
  expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
  expect(env.origin.seen.length).toBe(seenBefore);
});

test('a permanent redirect without a query string has a bare location', async () => {
  const res = await send(`${env.edge.url}/old-page`);
  expect(res.status).toBe(301);
  expect(res.headers.location).toBe('/');
  expect(res.rawHeaders).toContain('Location');
});

test('a listed path with a trailing slash is redirected like the path without it', async () => {
  const res = await send(`${env.edge.url}/old-page/`);
  expect(res.status).toBe(301);
  expect(res.headers.location).toBe('/');
});

test('a path in the temporary table is answered with 302 and keeps its query string', async () => {
  const res = await send(`${env.edge.url}/sale?code=SUMMER`);
  expect(res.status).toBe(302);
  expect(res.statusMessage).toBe('Found');
  expect(res.headers.location).toBe('/app/offers?code=SUMMER');
});

test('a path in neither table reaches the origin unchanged', async () => {
  const res = await send(`${env.edge.url}/old-page-2?a=b`, { headers: { 'X-Test': 'kept' } });
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
  expect(res.headers['x-cache']).toBe('Miss from verge');
  const seen = env.origin.seen.at(-1)!;
  expect(seen.url).toBe('/old-page-2?a=b');
  expect(seen.headers['x-test']).toBe('kept');
});

test('paths are matched exactly, so a different case is not redirected', async () => {
  const res = await send(`${env.edge.url}/Old-Page`);
  expect(res.status).toBe(200);
  expect(env.origin.seen.at(-1)!.url).toBe('/Old-Page');
});
