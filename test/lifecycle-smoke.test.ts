import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from './helpers/harness.ts';

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      { name: 'vreq', code: functionFile(`exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-vreq'] = [{ key: 'X-VReq', value: 'yes' }]; return r; };`) },
      { name: 'vres', code: functionFile(`export const handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-vres'] = [{ value: 'yes' }]; return r; };`) },
    ],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'vreq' }, 'viewer-response': { name: 'vres' } } }],
  });
});
afterAll(async () => {
  await edge.close();
  await origin.close();
});

test('a request passes viewer-request and viewer-response functions on its way through', async () => {
  const res = await send(`${edge.url}/hello?x=1`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
  expect(res.headers['x-vres']).toBe('yes');
  expect(res.rawHeaders).toContain('X-Vres');
  expect(origin.seen.at(-1)?.headers['x-vreq']).toBe('yes');
  expect(origin.seen.at(-1)?.url).toBe('/hello?x=1');
});
