import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('gzip-response', code, 'viewer-request');

test('a viewer that accepts gzip gets a gzip body it can decompress', async () => {
  const res = await send(`${env.edge.url}/status`, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } });
  expect(res.status).toBe(200);
  expect(res.headers['content-encoding']).toBe('gzip');
  expect(res.body.subarray(0, 2).toString('hex')).toBe('1f8b');
  const html = gunzipSync(res.body).toString('utf8');
  expect(html).toContain('<h1>Generated at the edge</h1>');
  expect(html).toContain('<li>Item 200 of the generated list</li>');
  expect(res.body.length).toBeLessThan(html.length / 4);
});

test('a viewer without gzip gets the same page uncompressed', async () => {
  const res = await send(`${env.edge.url}/status`, { headers: { 'Accept-Encoding': 'identity' } });
  expect(res.status).toBe(200);
  expect(res.headers['content-encoding']).toBeUndefined();
  expect(res.text).toContain('<li>Item 200 of the generated list</li>');
});

test('gzip;q=0 counts as not accepted', async () => {
  const res = await send(`${env.edge.url}/status`, { headers: { 'Accept-Encoding': 'gzip;q=0, identity' } });
  expect(res.headers['content-encoding']).toBeUndefined();
});

test('the origin is never asked', async () => {
  expect(env.origin.seen.length).toBe(0);
});
