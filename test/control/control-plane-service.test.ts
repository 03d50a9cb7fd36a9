import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createControlPlane, type ControlPlane } from '../../src/control/control-plane.ts';
import { SqliteControlStore } from '../../src/control/sqlite-control-store.ts';
import { VergeError } from '../../src/errors/verge-error.ts';
import { PASS_THROUGH, siteConfig, tarGzOf, zipOf } from '../helpers/control-fixtures.ts';

// The service layer over a real SqliteControlStore (in memory): code uploads are bundled with the
// edge node's bundler, revisions are resolved into the edge nodes' documents.

const HELLO = PASS_THROUGH;
const js = (text: string) => ({ bytes: Buffer.from(text), fileName: 'index.mjs' });

let cp: ControlPlane;
beforeEach(() => {
  cp = createControlPlane(new SqliteControlStore(':memory:'), { developmentMode: false });
});
afterEach(async () => {
  await cp.store.close();
});

async function rejection(p: Promise<unknown>): Promise<VergeError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(VergeError);
  return err as VergeError;
}

const site = (associations: Record<string, unknown>) => siteConfig('http://127.0.0.1:1', associations);

describe('functions', () => {
  test('a single file is stored by sha256 with the config file defaults, and publishing snapshots it', async () => {
    const fn = await cp.functions.create('hello', {}, js(HELLO));
    expect(fn.settings).toEqual({ runtime: 'nodejs-edge', handler: 'index.handler', memoryMb: 128, timeoutMs: 5000, environment: {}, description: '' });
    expect(fn.code).toMatchObject({ format: 'file', fileName: 'index.mjs', sizeBytes: HELLO.length });
    expect(Buffer.from((await cp.store.getCode(fn.code.sha256))!).toString()).toBe(HELLO);
    const v1 = await cp.functions.publish('hello', 'first');
    expect(v1.version).toBe(1);
    await cp.functions.updateCode('hello', js(HELLO.replace('request', 'request ')));
    expect((await cp.functions.publish('hello', 'second')).version).toBe(2);
  });

  test('a zip package is bundled at upload and a directory tarball is repacked as a zip', async () => {
    const files = { 'index.js': "const { greet } = require('./lib/greet');\nexports.handler = async () => ({ status: '200', body: greet() });\n", 'lib/greet.js': "exports.greet = () => 'hi';\n" };
    const zipped = await cp.functions.create('zipped', {}, { bytes: await zipOf(files), fileName: 'fn.zip' });
    expect(zipped.code).toMatchObject({ format: 'zip', fileName: 'fn.zip' });
    const tarred = await cp.functions.create('tarred', {}, { bytes: await tarGzOf(files), fileName: 'fn.tar.gz' });
    expect(tarred.code).toMatchObject({ format: 'zip', fileName: 'fn.zip' });
    expect(Buffer.from((await cp.store.getCode(tarred.code.sha256))!).subarray(0, 2).toString()).toBe('PK');
  });

  test('code that would not load at an edge node is refused at upload, naming the problem', async () => {
    const syntax = await rejection(cp.functions.create('broken', {}, js('export const handler = async (event => 1;\n')));
    expect(syntax.code).toBe('VERGE_ERR_CONTROL_INVALID_CODE');
    expect(syntax.message).toMatch(/index\.mjs:1/);
    const fsImport = await rejection(cp.functions.create('fs', {}, js("import fs from 'fs';\nexport const handler = async () => fs;\n")));
    expect(fsImport.message).toMatch(/Cannot find module 'fs'/);
    const noHandler = await rejection(cp.functions.create('nohandler', { handler: 'app.handler' }, { bytes: await zipOf({ 'index.js': 'exports.handler = 1;' }), fileName: 'p.zip' }));
    expect(noHandler.message).toMatch(/no file app\{/);
    const notZip = await rejection(cp.functions.create('notzip', {}, { bytes: Buffer.from('hello'), fileName: 'p.zip' }));
    expect(notZip.message).toMatch(/not a zip archive/);
    const kind = await rejection(cp.functions.create('kind', {}, { bytes: Buffer.from('x'), fileName: 'p.rar' }));
    expect(kind.code).toBe('VERGE_ERR_CONTROL_INVALID_CODE');
    await expect(cp.functions.list()).resolves.toEqual([]);
  });

  test('settings follow the config file rules: CloudFront Functions have a fixed memory', async () => {
    const err = await rejection(cp.functions.create('cff', { runtime: 'cloudfront-js-2.0', memoryMb: 128 }, { bytes: Buffer.from('function handler(event) { return event.request; }'), fileName: 'f.js' }));
    expect(err.code).toBe('VERGE_ERR_CONTROL_INVALID');
    expect(err.message).toMatch(/memoryMb: CloudFront Functions have a fixed memory/);
  });
});

describe('revisions resolve into edge documents', () => {
  test('an alias with weights resolves to its version and the weighted additional version', async () => {
    await cp.functions.create('auth', {}, js(HELLO));
    await cp.functions.publish('auth', '');
    await cp.functions.updateCode('auth', js(`${HELLO}// v2\n`));
    await cp.functions.publish('auth', '');
    await cp.aliases.create('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: { '2': 0.25 } });
    const saved = await cp.distributions.save('SITE', site({ 'viewer-request': { name: 'auth:live', includeBody: true }, 'origin-response': { name: 'auth:2' } }), { createdBy: 'test' });
    expect(saved.revision).toBe(1);
    const doc = await cp.distributions.resolve('SITE', 1);
    expect(doc.associations).toEqual([
      {},
      {
        'viewer-request': { qualified: 'auth:live', primary: 'auth:1', additional: { key: 'auth:2', weight: 0.25 }, includeBody: true },
        'origin-response': { qualified: 'auth:2', primary: 'auth:2', includeBody: false },
      },
    ]);
    expect(doc.functions.map((f) => f.key).sort()).toEqual(['auth:1', 'auth:2']);
    expect(doc.config.behaviors).toEqual([{ pathPattern: '/api/*', originId: 'o' }, { pathPattern: '*', originId: 'o' }]);
    expect(doc.config.distribution).toEqual({ id: 'SITE' });
    // The alias moves: the same revision resolves to the new version.
    await cp.aliases.update('auth', 'live', { functionVersion: 2, additionalVersionWeights: {} });
    expect((await cp.distributions.resolve('SITE', 1)).associations[1]!['viewer-request']).toEqual({ qualified: 'auth:live', primary: 'auth:2', includeBody: true });
  });

  test('a revision naming a missing function, version or alias is refused with the path of each', async () => {
    await cp.functions.create('auth', {}, js(HELLO));
    await cp.functions.publish('auth', '');
    const err = await rejection(cp.distributions.save('SITE', site({ 'viewer-request': { name: 'auth:7' }, 'origin-request': { name: 'nope:1' }, 'viewer-response': { name: 'auth:canary' }, 'origin-response': { name: 'auth:$LATEST' } }), { createdBy: 't' }));
    expect(err.code).toBe('VERGE_ERR_CONTROL_INVALID_REVISION');
    expect(err.details.issues).toEqual([
      { path: 'behaviors[1].functions.viewer-request', message: 'auth:7: auth has no published version 7' },
      { path: 'behaviors[1].functions.origin-request', message: 'nope:1: no function is named "nope"' },
      { path: 'behaviors[1].functions.origin-response', message: expect.stringMatching(/\$LATEST can be associated only when the control plane runs with developmentMode/) },
      { path: 'behaviors[1].functions.viewer-response', message: 'auth:canary: auth has no alias "canary"' },
    ]);
  });

  test('config file rules apply: unknown origins, node-only options, viewer-event limits', async () => {
    await cp.functions.create('big', { memoryMb: 512 }, js(HELLO));
    await cp.functions.publish('big', '');
    const err = await rejection(cp.distributions.save('SITE', { ...site({ 'viewer-request': { name: 'big:1' } }), listen: { port: 1 }, behaviors: [{ pathPattern: '*', originId: 'missing', functions: { 'viewer-request': { name: 'big:1' } } }] }, { createdBy: 't' }));
    const paths = (err.details.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['listen', 'behaviors[0].originId', 'behaviors[0].functions.viewer-request']));
    expect(err.message).toMatch(/memoryMb 512, over the viewer-request limit of 128 MB/);
  });

  test('$LATEST is allowed in development mode', async () => {
    const dev = createControlPlane(cp.store, { developmentMode: true });
    await dev.functions.create('draft', {}, js(HELLO));
    await dev.distributions.save('DEV', site({ 'viewer-request': { name: 'draft:$LATEST' } }), { createdBy: 't' });
    const doc = await dev.distributions.resolve('DEV', 1);
    expect(doc.functions).toEqual([expect.objectContaining({ key: 'draft:$LATEST', version: '$LATEST' })]);
  });
});
