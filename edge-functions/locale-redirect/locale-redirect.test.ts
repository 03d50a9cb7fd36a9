import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

// The directory is the function package: Verge bundles index.ts and lib/*.ts into one script.
const code = fileURLToPath(new URL('./', import.meta.url));

const env = useFunctionEdge('locale-redirect', code, 'viewer-request');

test('a page without a locale goes to the best locale of Accept-Language, keeping the query string', async () => {
  const res = await send(`${env.edge.url}/pricing?plan=pro`, { headers: { 'accept-language': 'fr-CH, fr;q=0.9, en;q=0.8' } });
  expect(res.status).toBe(302);
  expect(res.headers.location).toBe('/fr/pricing?plan=pro');
  expect(res.headers.vary).toBe('Accept-Language');
  expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
});

test('weights decide over header order, and a region subtag matches its language', async () => {
  const res = await send(`${env.edge.url}/`, { headers: { 'accept-language': 'es;q=1.0, en;q=0.5, de-AT;q=0.8' } });
  expect(res.headers.location).toBe('/de/');
});

test('no usable Accept-Language falls back to the default locale', async () => {
  expect((await send(`${env.edge.url}/docs`)).headers.location).toBe('/en/docs');
  expect((await send(`${env.edge.url}/docs`, { headers: { 'accept-language': 'ja, zh;q=0.5' } })).headers.location).toBe('/en/docs');
});

test('a path with a locale prefix, or a file, reaches the origin unchanged', async () => {
  const seen = env.origin.seen.length;
  expect((await send(`${env.edge.url}/de/pricing`, { headers: { 'accept-language': 'fr' } })).status).toBe(200);
  expect((await send(`${env.edge.url}/logo.png`)).status).toBe(200);
  expect(env.origin.seen.slice(seen).map((r) => r.url)).toEqual(['/de/pricing', '/logo.png']);
});

test('the function was loaded as one bundle made from its three modules', () => {
  const version = env.edge.node.registry.get('locale-redirect');
  const inside = version.inputFiles.filter((f) => f.startsWith(code));
  expect(inside.map((f) => f.slice(code.length)).sort()).toEqual(['index.ts', 'lib/accept-language.ts', 'lib/locales.ts', 'package.json']);
  // Plus the tsconfig.json esbuild applies: the package has none, so the repository's.
  expect(version.inputFiles.filter((f) => !f.startsWith(code)).map((f) => f.slice(f.lastIndexOf('/') + 1))).toEqual(['tsconfig.json']);
});
