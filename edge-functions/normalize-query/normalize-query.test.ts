import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('normalize-query', code, 'viewer-request');

test('parameters reach the origin lowercased and in alphabetical order', async () => {
  const res = await send(`${env.edge.url}/search?Z=Last&b=Two&A=One`);
  expect(res.status).toBe(200);
  expect(env.origin.seen.at(-1)!.url).toBe('/search?a=one&b=two&z=last');
});

test('repeated parameters keep every value, in order', async () => {
  await send(`${env.edge.url}/x?tag=B&tag=a&id=1`);
  expect(env.origin.seen.at(-1)!.url).toBe('/x?id=1&tag=b&tag=a');
});

test('escaped characters are decoded and encoded again the way Node does', async () => {
  await send(`${env.edge.url}/x?q=Hello%20World&emoji=%F0%9F%98%80`);
  expect(env.origin.seen.at(-1)!.url).toBe('/x?emoji=%F0%9F%98%80&q=hello%20world');
});

test('a request without a query string passes through', async () => {
  await send(`${env.edge.url}/plain`);
  expect(env.origin.seen.at(-1)!.url).toBe('/plain');
});
