import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { functionPackage } from '../helpers/function-package.ts';

// Multi-file functions, bundled once per version (esbuild) into the one script an isolate runs.

/** A package with its own local dependency in node_modules (CommonJS) and a relative ES module. */
const localDependency = functionPackage({
  'package.json': JSON.stringify({ name: 'greeter-fn', version: '1.0.0', dependencies: { 'shout-lib': '1.0.0' } }),
  'index.js': `
    const { shout } = require('shout-lib');
    const { suffix } = require('./lib/suffix.js');
    exports.handler = async () => ({ status: '200', body: shout('hello') + suffix });`,
  'lib/suffix.js': `exports.suffix = ' from lib';`,
  'node_modules/shout-lib/package.json': JSON.stringify({ name: 'shout-lib', version: '1.0.0', main: 'main.js' }),
  'node_modules/shout-lib/main.js': `exports.shout = (s) => s.toUpperCase() + '!';`,
});

/** A package using a real, ESM-only npm library (cookie 2) from its own node_modules. */
const realDependency = functionPackage(
  {
    'package.json': JSON.stringify({ name: 'cookie-fn', type: 'module', dependencies: { cookie: '^2.0.2' } }),
    'index.mjs': `
      import { parseCookie } from 'cookie';
      export const handler = async (event) => {
        const header = event.Records[0].cf.request.headers.cookie;
        const cookies = parseCookie(header ? header[0].value : '');
        return { status: '200', body: JSON.stringify(cookies) };
      };`,
  },
  ['cookie'],
);

/** TypeScript in a package, with the handler in a subdirectory and another export name. */
const typescriptPackage = functionPackage({
  'package.json': JSON.stringify({ name: 'ts-fn' }),
  'src/app.ts': `
    import { label, type Greeting } from './label.ts';
    export async function respond(): Promise<{ status: string; body: string }> {
      const g: Greeting = { who: 'typescript' };
      return { status: '200', body: label(g) };
    }`,
  'src/label.ts': `export interface Greeting { who: string }\nexport const label = (g: Greeting): string => 'hi ' + g.who;`,
});

const singleTypeScript = functionFile(
  `interface Answer { status: string; body: string }\nexport const handler = async (): Promise<Answer> => ({ status: '200', body: 'single ts' satisfies string });`,
  '.ts',
);

const singleFileOtherExport = functionFile(`exports.main = async () => ({ status: '200', body: 'main export' });`, '.js');

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  const functions = [
    { name: 'local-dep', code: localDependency },
    { name: 'real-dep', code: realDependency },
    { name: 'ts-package', code: typescriptPackage, handler: 'src/app.respond' },
    { name: 'ts-single', code: singleTypeScript },
    // For a single file the file part of the handler is not used; the export name is.
    { name: 'other-export', code: singleFileOtherExport, handler: 'index.main' },
  ];
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions,
    behaviors: functions.map(({ name }) => ({ pathPattern: `/${name}`, originId: 'o', functions: { 'viewer-request': { name } } })),
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('a directory function with a dependency in its own node_modules and a relative module is served', async () => {
  const res = await send(`${edge.url}/local-dep`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('HELLO! from lib');
  expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
});

test('a directory function using a real ESM-only npm library (cookie) runs it in the isolate', async () => {
  const res = await send(`${edge.url}/real-dep`, { headers: { cookie: 'session=abc123; theme=dark%20mode' } });
  expect(res.status).toBe(200);
  expect(JSON.parse(res.text)).toEqual({ session: 'abc123', theme: 'dark mode' });
});

test('a TypeScript package with handler file.export in a subdirectory is served', async () => {
  const res = await send(`${edge.url}/ts-package`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hi typescript');
});

test('a single TypeScript file is served', async () => {
  const res = await send(`${edge.url}/ts-single`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('single ts');
});

test("a single file's handler export name is honoured", async () => {
  const res = await send(`${edge.url}/other-export`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('main export');
});

test('the bundled version keys differ per function and stay the same for the same inputs', async () => {
  const a = edge.node.registry.get('local-dep');
  expect(a.code).toContain('toUpperCase');
  expect(a.filename.endsWith('index.js')).toBe(true);
  expect(a.inputFiles.some((f) => f.endsWith('node_modules/shout-lib/main.js'))).toBe(true);
  // Nothing changed on disk: a reload finds the same input hash and builds nothing.
  expect(await edge.node.registry.reload('local-dep')).toBeUndefined();
  expect(edge.node.registry.get('local-dep')).toBe(a);
});
