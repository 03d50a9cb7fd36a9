import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send, startOrigin, type TestOrigin } from '../../../test/helpers/harness.ts';

let api: TestOrigin;
beforeAll(async () => {
  api = await startOrigin((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"from":"api"}');
  });
});
afterAll(async () => api?.close());

const env = useCloudFrontFunctionEdge('select-origin', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request', {
  extraOrigins: () => [{ id: 'api', url: api.url }],
});

test('selectRequestOriginById sends the request to the named origin, with its Host', async () => {
  const res = await send(`${env.edge.url}/api/users`);
  expect(res.text).toBe('{"from":"api"}');
  expect(api.seen.at(-1)!.url).toBe('/api/users');
  expect(api.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${api.port}`);
});

test('updateRequestOrigin changes the base path and adds custom headers for this request only', async () => {
  await send(`${env.edge.url}/page`, { headers: { 'x-canary': '1' } });
  const seen = env.origin.seen.at(-1)!;
  expect(seen.url).toBe('/canary/page');
  expect(seen.headers['x-origin-variant']).toBe('canary');
  await send(`${env.edge.url}/page`);
  expect(env.origin.seen.at(-1)!.url).toBe('/page');
  expect(env.origin.seen.at(-1)!.headers['x-origin-variant']).toBeUndefined();
});
