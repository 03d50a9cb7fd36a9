import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('add-true-client-ip', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request');

test('the origin receives the viewer address in True-Client-IP', async () => {
  const res = await send(`${env.edge.url}/page?x=1`, { headers: { cookie: 'a=1; b=2' } });
  expect(res.status).toBe(200);
  const seen = env.origin.seen.at(-1)!;
  expect(seen.headers['true-client-ip']).toBe('127.0.0.1');
  expect(seen.rawHeaders).toContain('True-Client-Ip');
  // What the function left alone reaches the origin as the viewer sent it.
  expect(seen.url).toBe('/page?x=1');
  expect(seen.headers.cookie).toBe('a=1; b=2');
});
