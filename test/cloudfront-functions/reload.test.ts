import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

let origin: TestOrigin;
let edge: TestEdge;
const file = functionFile(`function handler(event) { return { statusCode: 200, body: 'v1' }; }`);

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'f', code: file, runtime: 'cloudfront-js-2.0', timeoutMs: 1000 }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'f' } } }],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('an edit over 10 KB does not replace the running CloudFront Function; a valid edit does', async () => {
  expect((await send(`${edge.url}/`)).text).toBe('v1');
  writeFileSync(file, `function handler(event) { return { statusCode: 200, body: 'v2' }; }\n// ${'x'.repeat(10 * 1024)}\n`);
  await expect(edge.node.registry.reload('f')).rejects.toThrow(/over the CloudFront Functions limit of 10240 bytes/);
  expect((await send(`${edge.url}/`)).text).toBe('v1');
  writeFileSync(file, `function handler(event) { return { statusCode: 200, body: 'v3' }; }`);
  expect(await edge.node.registry.reload('f')).toBeDefined();
  expect((await send(`${edge.url}/`)).text).toBe('v3');
});
