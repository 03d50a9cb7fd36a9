import { expect, test } from 'vitest';
import { functionFile, startEdge, startOrigin } from '../helpers/harness.ts';
import { functionPackage } from '../helpers/function-package.ts';
import { LambdaExecutionError } from '../../src/errors/function-errors.ts';

// Every function is analysed when it loads: a module the sandbox does not offer, or a package that
// cannot be resolved, stops the node from starting with VERGE_ERR_FUNCTION_LOAD, naming the module
// and the file importing it, instead of failing the first request.

const OFFERED = 'the Verge sandbox offers querystring, url, buffer, crypto, zlib, path, util, events';

async function loadError(code: string, handler?: string): Promise<LambdaExecutionError> {
  const origin = await startOrigin();
  try {
    const edge = await startEdge({
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'checked', code, ...(handler ? { handler } : {}) }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'checked' } } }],
    });
    await edge.close();
    throw new Error('the edge node started');
  } catch (err) {
    if (!(err instanceof LambdaExecutionError)) throw err;
    return err;
  } finally {
    await origin.close();
  }
}

test.each([
  ['an ESM import at the top level', `import fs from 'fs';\nexport const handler = async () => ({ status: '200', body: typeof fs });`, '.mjs', 'fs'],
  ['an ESM import with the node: prefix', `import { readFileSync } from 'node:fs';\nexport const handler = async () => ({ status: '200', body: typeof readFileSync });`, '.mjs', 'node:fs'],
  ['a CommonJS require at the top level', `const fs = require('fs');\nexports.handler = async () => ({ status: '200', body: typeof fs });`, '.js', 'fs'],
  ['a CommonJS require inside the handler', `exports.handler = async () => { const fs = require('fs'); return { status: '200', body: typeof fs }; };`, '.js', 'fs'],
  ['a dynamic import inside the handler', `export const handler = async () => { const cp = await import('child_process'); return { status: '200', body: typeof cp }; };`, '.mjs', 'child_process'],
])('%s of a module the sandbox lacks fails at load, naming it and the file', async (_what, source, ext, module) => {
  const file = functionFile(source, ext);
  const err = await loadError(file);
  expect(err.code).toBe('VERGE_ERR_FUNCTION_LOAD');
  const base = file.slice(file.lastIndexOf('/') + 1);
  expect(err.message).toContain(`Cannot find module '${module}' imported from ${base}: ${OFFERED}`);
  expect(err.details).toEqual({ function: 'checked' });
});

test('a module the sandbox offers passes the check (the node starts)', async () => {
  const file = functionFile(`const qs = require('querystring');\nimport('node:crypto');\nexports.handler = async () => ({ status: '200', body: typeof qs });`, '.js');
  const origin = await startOrigin();
  const edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'ok', code: file }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'ok' } } }],
  });
  // Loaded as written: a file importing only sandbox modules is not rewritten.
  expect(edge.node.registry.get('ok').code).toContain("require('querystring')");
  await edge.close();
  await origin.close();
});

test('a dependency deep in node_modules that requires fs fails at load, naming the dependency file', async () => {
  const dir = functionPackage({
    'package.json': '{"name":"uses-fs-dep"}',
    'index.js': `const { load } = require('config-loader');\nexports.handler = async () => ({ status: '200', body: load() });`,
    'node_modules/config-loader/package.json': '{"name":"config-loader","main":"lib/load.js"}',
    'node_modules/config-loader/lib/load.js': `exports.load = () => require('fs').readFileSync('/etc/hostname', 'utf8');`,
  });
  const err = await loadError(dir);
  expect(err.message).toContain(`Cannot find module 'fs' imported from node_modules/config-loader/lib/load.js: ${OFFERED}`);
});

test('a package that is not installed fails at load with the importing file and line', async () => {
  const dir = functionPackage({
    'package.json': '{"name":"missing-dep","dependencies":{"left-pad":"1.3.0"}}',
    'index.js': `\nconst leftPad = require('left-pad');\nexports.handler = async () => ({ status: '200', body: leftPad('x', 3) });`,
  });
  const err = await loadError(dir);
  expect(err.code).toBe('VERGE_ERR_FUNCTION_LOAD');
  expect(err.message).toContain("Cannot find module 'left-pad' imported from index.js:2:");
});

test('a missing relative file in a single-file function fails at load', async () => {
  const err = await loadError(functionFile(`import { x } from './not-there.js';\nexport const handler = async () => ({ status: '200', body: x });`, '.mjs'));
  expect(err.message).toMatch(/Cannot find module '\.\/not-there\.js' imported from fn-\d+-\d+\.mjs:1:/);
});

test('a package found only in a parent directory is outside the function package and fails at load', async () => {
  // Node (and esbuild) would find the parent's node_modules/cookie; Lambda runs only what the package
  // contains, so Verge refuses it rather than serve something that breaks once deployed.
  const parent = functionPackage({ 'fn/package.json': '{"name":"borrows"}', 'fn/index.js': `const c = require('cookie');\nexports.handler = async () => ({ status: '200', body: typeof c });` }, ['cookie']);
  const err = await loadError(`${parent}/fn`);
  expect(err.message).toContain("Cannot find module 'cookie' imported from index.js: it resolves to ../node_modules/cookie/dist/index.js, outside the function's package");
});

test('an ES module handler name that the module does not export fails at load', async () => {
  const dir = functionPackage({ 'index.mjs': `export const handler = async () => ({ status: '200' });` });
  const err = await loadError(dir, 'index.main');
  expect(err.message).toMatch(/No matching export in "index\.mjs" for import "main"/);
});

test('a directory package whose handler file does not exist fails at config load', async () => {
  const dir = functionPackage({ 'app.js': 'exports.handler = async () => ({ status: "200" });' });
  await expect(loadError(dir)).rejects.toThrow(/functions\[0\]\.handler: index\.handler: no file index\{\.js,\.mjs,\.cjs,\.ts,\.mts,\.cts\} in /);
});
