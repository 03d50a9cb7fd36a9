import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { eventually, functionFile, send } from '../../../test/helpers/harness.ts';

const storeFile = functionFile(JSON.stringify({ data: [{ key: '/old', value: '/new' }, { key: '/blog', value: 'https://blog.example.com/' }] }), '.json');

const env = useCloudFrontFunctionEdge('kvs-redirect', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request', {
  keyValueStores: [{ id: 'redirects', file: storeFile }],
});

test('a path in the store is redirected to its value', async () => {
  const res = await send(`${env.edge.url}/old`);
  expect(res.status).toBe(301);
  expect(res.headers.location).toBe('/new');
  expect((await send(`${env.edge.url}/blog`)).headers.location).toBe('https://blog.example.com/');
});

test('a path not in the store (get rejects) goes to the origin', async () => {
  const res = await send(`${env.edge.url}/other`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
});

test('an edited store file is picked up without a restart, and a broken one keeps the last good data', async () => {
  writeFileSync(storeFile, JSON.stringify({ data: [{ key: '/old', value: '/newer' }] }));
  await eventually(async () => (await send(`${env.edge.url}/old`)).headers.location === '/newer', 5_000);
  writeFileSync(storeFile, '{"data": [ not json');
  await eventually(() => env.edge.logs.some((l) => l.type === 'kvs-reload-failed' && l.keyValueStore === 'redirects'), 5_000);
  expect((await send(`${env.edge.url}/old`)).headers.location).toBe('/newer');
});
