import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { functionPackage } from '../helpers/function-package.ts';

// With --watch, an edit anywhere inside a directory function is bundled again and swapped in; an edit
// that fails the module check keeps the running version serving and logs why.

const word = (w: string) => `export const word = '${w}';\n`;

let origin: TestOrigin;
let edge: TestEdge;
let dir: string;

beforeAll(async () => {
  origin = await startOrigin();
  dir = functionPackage({
    'package.json': '{"name":"watched","type":"module"}',
    'index.ts': `import { word } from './lib/word.ts';\nexport const handler = async () => ({ status: '200', body: word });`,
    'lib/word.ts': word('one'),
  });
  edge = await startEdge(
    {
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'watched', code: dir }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'watched' } } }],
    },
    { watch: true },
  );
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('an edit to a module in a subdirectory of a directory function is served without a restart', async () => {
  expect((await send(`${edge.url}/`)).text).toBe('one');
  writeFileSync(join(dir, 'lib', 'word.ts'), word('two'));
  await eventually(async () => (await send(`${edge.url}/`)).text === 'two', 10_000);
  expect(edge.logs.some((l) => l.type === 'function-reloaded' && l.function === 'watched')).toBe(true);
});

test('an edit that imports os keeps the running version and logs the module check failure', async () => {
  writeFileSync(join(dir, 'lib', 'word.ts'), `import { hostname } from 'os';\nexport const word = hostname();\n`);
  const line = await eventually(() => edge.logs.find((l) => l.type === 'function-reload-failed' && l.function === 'watched'), 10_000);
  expect(line.code).toBe('VERGE_ERR_FUNCTION_LOAD');
  expect(line.err).toContain("Cannot find module 'os' imported from lib/word.ts");
  const res = await send(`${edge.url}/`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('two');
});
