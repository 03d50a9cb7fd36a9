import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('url-rewrite-single-page-apps', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request');

test.each([
  ['/', '/index.html'],
  ['/docs/', '/docs/index.html'],
  ['/app/settings', '/app/settings/index.html'],
  ['/assets/app.js', '/assets/app.js'],
  ['/app?tab=1', '/app/index.html?tab=1'],
])('%s reaches the origin as %s', async (path, expected) => {
  const res = await send(`${env.edge.url}${path}`);
  expect(res.status).toBe(200);
  expect(env.origin.seen.at(-1)!.url).toBe(expected);
});
