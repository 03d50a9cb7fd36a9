import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('normalize-query-string', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request');

test('parameter names are lower-cased and sorted; repeated parameters keep every value in order', async () => {
  await send(`${env.edge.url}/list?Zeta=9&b=2&a=1&b=3&flag`);
  expect(env.origin.seen.at(-1)!.url).toBe('/list?a=1&b=2&b=3&flag&zeta=9');
});

test('an already normal query string reaches the origin exactly as sent', async () => {
  await send(`${env.edge.url}/list?a=1&b=%20x`);
  expect(env.origin.seen.at(-1)!.url).toBe('/list?a=1&b=%20x');
});
