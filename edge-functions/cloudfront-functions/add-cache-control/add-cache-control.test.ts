import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('add-cache-control', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-response', {
  originHandler: (req, res) => {
    res.writeHead(req.url === '/gone' ? 404 : 200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' });
    res.end('body');
  },
});

test('the response goes out with the function\'s Cache-Control in place of the origin\'s', async () => {
  const res = await send(`${env.edge.url}/`);
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('public, max-age=63072000;');
  expect(res.text).toBe('body');
});

test('an origin error skips the viewer-response function, as on CloudFront', async () => {
  const res = await send(`${env.edge.url}/gone`);
  expect(res.status).toBe(404);
  expect(res.headers['cache-control']).toBe('no-cache');
});
