import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('redirect-based-on-country', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request');

test('a viewer from DE is redirected with a generated 302', async () => {
  const before = env.origin.seen.length;
  const res = await send(`${env.edge.url}/`, { headers: { host: 'www.example.com', 'cloudfront-viewer-country': 'DE' } });
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('https://www.example.com/de/index.html');
  expect(res.headers['x-cache']).toBe('FunctionGeneratedResponse from verge');
  expect(env.origin.seen.length).toBe(before);
});

test('viewers from elsewhere, or without the header, reach the origin', async () => {
  expect((await send(`${env.edge.url}/`, { headers: { 'cloudfront-viewer-country': 'FR' } })).status).toBe(200);
  expect((await send(`${env.edge.url}/`)).status).toBe(200);
});
