import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from './helpers/harness.ts';

const versionSource = (v: string) =>
  `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-fn-version'] = [{ value: '${v}' }]; return r; };`;

let origin: TestOrigin;
let edge: TestEdge;
let file: string;

beforeAll(async () => {
  origin = await startOrigin();
  file = functionFile(versionSource('one'));
  edge = await startEdge(
    {
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'tagged', code: file }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-response': { name: 'tagged' } } }],
    },
    { watch: true },
  );
});
afterAll(async () => {
  await edge.close();
  await origin.close();
});

test('with watch, an edited function file is served without a restart', async () => {
  expect((await send(`${edge.url}/`)).headers['x-fn-version']).toBe('one');
  writeFileSync(file, versionSource('two'));
  await eventually(async () => (await send(`${edge.url}/`)).headers['x-fn-version'] === 'two', 5_000);
  expect(edge.logs.some((l) => l.type === 'function-reloaded' && l.function === 'tagged')).toBe(true);
});

test('with watch, an edit that does not load keeps the running version serving and logs why', async () => {
  writeFileSync(file, 'exports.handler = async (e) => { this is not javascript');
  await eventually(() => edge.logs.find((l) => l.type === 'function-reload-failed' && l.code === 'VERGE_ERR_FUNCTION_LOAD'), 5_000);
  const res = await send(`${edge.url}/`);
  expect(res.status).toBe(200);
  expect(res.headers['x-fn-version']).toBe('two');
});
