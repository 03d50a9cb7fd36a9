import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { functionPackage } from '../helpers/function-package.ts';

// A single-file function is bundled with the files it imports; --watch must see edits to those too,
// not only to the file named by `code`, and the bundle cache must remember inputs that bundled to the
// same code.

const lib = (w: string) => `exports.word = '${w}';\n`;
const handler = `const { word } = require('./lib');\nexports.handler = async () => ({ status: '200', body: word });\n`;

let origin: TestOrigin;
let watched: TestEdge;
let dir: string;

beforeAll(async () => {
  origin = await startOrigin();
  dir = functionPackage({ 'index.js': handler, 'lib.js': lib('one'), 'tsconfig.json': '{"compilerOptions": {}}' });
  watched = await startEdge(
    {
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'single', code: join(dir, 'index.js') }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'single' } } }],
    },
    { watch: true },
  );
});
afterAll(async () => {
  await watched?.close();
  await origin?.close();
});

test('an edit to a module a single-file function imports is served without a restart', async () => {
  expect((await send(`${watched.url}/`)).text).toBe('one');
  writeFileSync(join(dir, 'lib.js'), lib('two'));
  await eventually(async () => (await send(`${watched.url}/`)).text === 'two', 10_000);
  // Saved the way many editors save: a new file renamed over the old one.
  writeFileSync(join(dir, 'lib.js.tmp'), lib('three'));
  renameSync(join(dir, 'lib.js.tmp'), join(dir, 'lib.js'));
  await eventually(async () => (await send(`${watched.url}/`)).text === 'three', 10_000);
});

test('a module imported only after an edit is watched too (the watchers follow the inputs)', async () => {
  writeFileSync(join(dir, 'extra.js'), `exports.more = 'four';\n`);
  writeFileSync(join(dir, 'index.js'), `const { more } = require('./extra.js');\nexports.handler = async () => ({ status: '200', body: more });\n`);
  await eventually(async () => (await send(`${watched.url}/`)).text === 'four', 10_000);
  writeFileSync(join(dir, 'extra.js'), `exports.more = 'five';\n`);
  await eventually(async () => (await send(`${watched.url}/`)).text === 'five', 10_000);
});

test('the tsconfig.json esbuild applies is one of the bundle inputs', () => {
  expect(watched.node.registry.get('single').inputFiles).toContain(join(dir, 'tsconfig.json'));
});

test('inputs that bundle to the same code are remembered: the next reload does not bundle again', async () => {
  const pkg = functionPackage({ 'index.js': handler, 'lib.js': lib('same') });
  const edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'cached', code: join(pkg, 'index.js') }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'cached' } } }],
  });
  try {
    const registry = edge.node.registry;
    const first = registry.get('cached');
    // A blank line changes lib.js but not the bundle: same version, new inputs hash.
    writeFileSync(join(pkg, 'lib.js'), `\n${lib('same')}`);
    expect(await registry.reload('cached')).toBeUndefined();
    expect(registry.get('cached')).toBe(first);
    // lib.ts would now win `require('./lib')` (esbuild tries .ts before .js) and fails the module
    // check, but it is not an input: only a reload that bundles again would see it.
    writeFileSync(join(pkg, 'lib.ts'), `import { hostname } from 'os';\nexport const word = hostname();\n`);
    expect(await registry.reload('cached')).toBeUndefined();
    expect((await send(`${edge.url}/`)).text).toBe('same');
  } finally {
    await edge.close();
  }
});
