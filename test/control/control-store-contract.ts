/**
 * The one contract every ControlStore passes (STYLE.md habit 7, as undici's cacheStoreTests). Each
 * store's test file calls controlStoreContract with a factory that opens a fresh, empty store.
 *
 * Lists come back in a stated order: functions, aliases, distributions and locations by name;
 * versions and revisions by number; deployments in creation order; a location's health by key;
 * a deployment's events in the order they were appended.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { ControlStore, DeploymentEvent, FunctionSettings } from '../../src/control/control-store.ts';
import type { CodeRef } from '../../src/control/revision-document.ts';

export interface OpenedControlStore {
  readonly store: ControlStore;
  readonly cleanup: () => Promise<void>;
}

export type MakeControlStore = () => Promise<OpenedControlStore>;

export const SETTINGS: FunctionSettings = {
  runtime: 'nodejs-edge',
  handler: 'index.handler',
  memoryMb: 128,
  timeoutMs: 5000,
  environment: { STAGE: 'test' },
  description: 'adds a header',
};

const CONFLICT = 'VERGE_ERR_CONTROL_CONFLICT';
const NOT_FOUND = 'VERGE_ERR_CONTROL_NOT_FOUND';
const INVALID = 'VERGE_ERR_CONTROL_INVALID';

/** Puts `source` as a single-file bundle and returns its CodeRef. */
export async function putSource(store: ControlStore, source: string, fileName = 'index.js'): Promise<CodeRef> {
  const { sha256, sizeBytes } = await store.putCode(new TextEncoder().encode(source));
  return { sha256, sizeBytes, format: 'file', fileName };
}

function event(type: string, message = type): DeploymentEvent {
  return { at: new Date().toISOString(), type, by: 'tester', message };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function controlStoreContract(name: string, makeStore: MakeControlStore): void {
  describe(`${name} store (ControlStore contract)`, () => {
    const opened: OpenedControlStore[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0)) {
        await o.store.close();
        await o.cleanup();
      }
    });
    async function open(): Promise<ControlStore> {
      const o = await makeStore();
      opened.push(o);
      return o.store;
    }
    /** A store with function `auth` ($LATEST = v1 code) and, if asked, `versions` published versions. */
    async function withFunction(versions = 0): Promise<{ store: ControlStore; code: CodeRef }> {
      const store = await open();
      const code = await putSource(store, 'exports.handler = async (e) => e.Records[0].cf.request;');
      await store.createFunction('auth', SETTINGS, code);
      for (let i = 1; i <= versions; i++) {
        await store.updateFunctionSettings('auth', { description: `release ${i}` });
        await store.publishVersion('auth', '');
      }
      return { store, code };
    }

    describe('code bundles', () => {
      test('code comes back byte for byte by its sha256, and unknown code is undefined', async () => {
        const store = await open();
        const bytes = new Uint8Array([0, 1, 2, 255, 254, 10, 13]);
        const { sha256, sizeBytes } = await store.putCode(bytes);
        expect(sha256).toMatch(/^[0-9a-f]{64}$/);
        expect(sizeBytes).toBe(7);
        expect(Array.from((await store.getCode(sha256))!)).toEqual(Array.from(bytes));
        expect(await store.getCode('0'.repeat(64))).toBeUndefined();
        expect(store.kind).toBe(name);
      });

      test('the same bytes put twice are stored once, under one sha256', async () => {
        const store = await open();
        const a = await store.putCode(new TextEncoder().encode('same'));
        const b = await store.putCode(new TextEncoder().encode('same'));
        const c = await store.putCode(new TextEncoder().encode('other'));
        expect(b).toEqual(a);
        expect(c.sha256).not.toBe(a.sha256);
        // sha256("same"), as anyone can compute it: the address is the content's.
        expect(a.sha256).toBe('0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5');
      });

      test('the bytes returned are a copy: changing them does not change the stored code', async () => {
        const store = await open();
        const { sha256 } = await store.putCode(new TextEncoder().encode('abc'));
        const first = (await store.getCode(sha256))!;
        first[0] = 0x7a;
        expect(new TextDecoder().decode(await store.getCode(sha256))).toBe('abc');
      });
    });

    describe('functions and $LATEST', () => {
      test('a created function reads back with its settings, code, arn and a revisionId', async () => {
        const store = await open();
        const code = await putSource(store, 'exports.handler = async () => ({ status: "204" });');
        const created = await store.createFunction('auth', SETTINGS, code);
        expect(created).toMatchObject({ name: 'auth', arn: 'verge:function:auth', settings: SETTINGS, code });
        expect(created.revisionId).toMatch(/.{8,}/);
        expect(created.createdAt).toMatch(ISO);
        expect(created.updatedAt).toBe(created.createdAt);
        expect(await store.getFunction('auth')).toEqual(created);
        // Plain data, as it would cross the wire.
        expect(JSON.parse(JSON.stringify(created))).toEqual(created);
      });

      test('creating a function that exists is a conflict, and the first one is kept', async () => {
        const { store, code } = await withFunction();
        await expect(store.createFunction('auth', { ...SETTINGS, memoryMb: 512 }, code)).rejects.toMatchObject({ code: CONFLICT, message: expect.stringContaining('"auth"') });
        expect((await store.getFunction('auth')).settings.memoryMb).toBe(128);
      });

      test('a function cannot name code the store does not hold', async () => {
        const store = await open();
        const missing: CodeRef = { sha256: 'a'.repeat(64), sizeBytes: 3, format: 'file', fileName: 'index.js' };
        await expect(store.createFunction('auth', SETTINGS, missing)).rejects.toMatchObject({ code: NOT_FOUND, message: expect.stringContaining('a'.repeat(64)) });
        await expect(store.getFunction('auth')).rejects.toMatchObject({ code: NOT_FOUND });
      });

      test('reading, changing or deleting a function that does not exist is not found, naming it', async () => {
        const store = await open();
        const code = await putSource(store, 'x');
        const notFound = { code: NOT_FOUND, message: expect.stringContaining('function "ghost"') };
        await expect(store.getFunction('ghost')).rejects.toMatchObject(notFound);
        await expect(store.updateFunctionCode('ghost', code)).rejects.toMatchObject(notFound);
        await expect(store.updateFunctionSettings('ghost', { memoryMb: 256 })).rejects.toMatchObject(notFound);
        await expect(store.deleteFunction('ghost')).rejects.toMatchObject(notFound);
        await expect(store.publishVersion('ghost', '')).rejects.toMatchObject(notFound);
        await expect(store.listVersions('ghost')).rejects.toMatchObject(notFound);
        await expect(store.getVersion('ghost', 1)).rejects.toMatchObject(notFound);
        await expect(store.listAliases('ghost')).rejects.toMatchObject(notFound);
        await expect(store.createAlias('ghost', { name: 'live', functionVersion: 1 })).rejects.toMatchObject(notFound);
      });

      test('functions are listed by name', async () => {
        const store = await open();
        const code = await putSource(store, 'x');
        for (const n of ['origin-picker', 'auth', 'headers']) await store.createFunction(n, SETTINGS, code);
        expect((await store.listFunctions()).map((f) => f.name)).toEqual(['auth', 'headers', 'origin-picker']);
      });

      test('updating the code changes $LATEST and its revisionId, not its settings', async () => {
        const { store } = await withFunction();
        const before = await store.getFunction('auth');
        const code2 = await putSource(store, 'export const handler = async () => 2;', 'index.mjs');
        const after = await store.updateFunctionCode('auth', code2, before.revisionId);
        expect(after.code).toEqual(code2);
        expect(after.settings).toEqual(SETTINGS);
        expect(after.revisionId).not.toBe(before.revisionId);
        expect(after.createdAt).toBe(before.createdAt);
        expect(after.updatedAt >= before.updatedAt).toBe(true);
        expect(await store.getFunction('auth')).toEqual(after);
      });

      test('new code must be stored first, and must be the size stored', async () => {
        const { store, code } = await withFunction();
        await expect(store.updateFunctionCode('auth', { ...code, sha256: 'b'.repeat(64) })).rejects.toMatchObject({ code: NOT_FOUND });
        await expect(store.updateFunctionCode('auth', { ...code, sizeBytes: code.sizeBytes + 1 })).rejects.toMatchObject({ code: CONFLICT });
        expect((await store.getFunction('auth')).code).toEqual(code);
      });

      test('updating settings merges the patch into $LATEST', async () => {
        const { store, code } = await withFunction();
        const before = await store.getFunction('auth');
        const after = await store.updateFunctionSettings('auth', { memoryMb: 256, environment: { A: '1' } }, before.revisionId);
        expect(after.settings).toEqual({ ...SETTINGS, memoryMb: 256, environment: { A: '1' } });
        expect(after.code).toEqual(code);
        expect(after.revisionId).not.toBe(before.revisionId);
      });

      test('a write with a stale expectedRevisionId is a conflict and changes nothing', async () => {
        const { store } = await withFunction();
        const first = await store.getFunction('auth');
        const second = await store.updateFunctionSettings('auth', { memoryMb: 256 }, first.revisionId);
        const code2 = await putSource(store, 'y');
        const conflict = { code: CONFLICT, message: expect.stringContaining('function "auth"') };
        await expect(store.updateFunctionSettings('auth', { memoryMb: 512 }, first.revisionId)).rejects.toMatchObject(conflict);
        await expect(store.updateFunctionCode('auth', code2, first.revisionId)).rejects.toMatchObject(conflict);
        await expect(store.publishVersion('auth', '', first.revisionId)).rejects.toMatchObject(conflict);
        expect(await store.getFunction('auth')).toEqual(second);
        expect(await store.listVersions('auth')).toEqual([]);
        // Without expectedRevisionId the last write wins.
        expect((await store.updateFunctionSettings('auth', { memoryMb: 512 })).settings.memoryMb).toBe(512);
      });

      test('deleting a function deletes its versions and aliases; its name can be used again', async () => {
        const { store, code } = await withFunction(2);
        await store.createAlias('auth', { name: 'live', functionVersion: 2 });
        await store.deleteFunction('auth');
        await expect(store.getFunction('auth')).rejects.toMatchObject({ code: NOT_FOUND });
        await expect(store.getVersion('auth', 1)).rejects.toMatchObject({ code: NOT_FOUND });
        await expect(store.getAlias('auth', 'live')).rejects.toMatchObject({ code: NOT_FOUND });
        expect(await store.listFunctions()).toEqual([]);
        // Code is content-addressed and may be shared: it stays.
        expect(await store.getCode(code.sha256)).toBeDefined();
        await store.createFunction('auth', SETTINGS, code);
        expect(await store.listVersions('auth')).toEqual([]);
        expect(await store.listAliases('auth')).toEqual([]);
      });
    });

    describe('versions', () => {
      test('publishing snapshots $LATEST as versions 1, 2, 3, listed by number', async () => {
        const { store, code } = await withFunction();
        const v1 = await store.publishVersion('auth', 'first');
        expect(v1).toMatchObject({ functionName: 'auth', version: 1, arn: 'verge:function:auth:1', settings: SETTINGS, code, description: 'first' });
        expect(v1.createdAt).toMatch(ISO);
        await store.updateFunctionSettings('auth', { memoryMb: 256 });
        const v2 = await store.publishVersion('auth', 'second');
        const code3 = await putSource(store, 'exports.handler = async () => 3;');
        await store.updateFunctionCode('auth', code3);
        const v3 = await store.publishVersion('auth', 'third');
        expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
        expect(v2.settings.memoryMb).toBe(256);
        expect(v3.code).toEqual(code3);
        expect(await store.listVersions('auth')).toEqual([v1, v2, v3]);
        expect(await store.getVersion('auth', 2)).toEqual(v2);
      });

      test('a version is immutable: later changes to $LATEST do not reach it', async () => {
        const { store, code } = await withFunction();
        const v1 = await store.publishVersion('auth', '');
        await store.updateFunctionSettings('auth', { memoryMb: 1024, environment: {} });
        await store.updateFunctionCode('auth', await putSource(store, 'changed'));
        expect(await store.getVersion('auth', 1)).toEqual(v1);
        expect(v1.settings).toEqual(SETTINGS);
        expect(v1.code).toEqual(code);
      });

      test('without a description a version takes the function description', async () => {
        const { store } = await withFunction();
        expect((await store.publishVersion('auth', '')).description).toBe(SETTINGS.description);
      });

      test('publishing an unchanged $LATEST returns the newest version instead of a new one', async () => {
        const { store } = await withFunction();
        const v1 = await store.publishVersion('auth', 'first');
        expect(await store.publishVersion('auth', 'again')).toEqual(v1);
        // Settings written back in another key order are the same settings.
        const { environment, runtime, ...rest } = SETTINGS;
        await store.updateFunctionSettings('auth', { ...rest, environment: { ...environment }, runtime });
        expect(await store.publishVersion('auth', 'again')).toEqual(v1);
        // A change, then a change back, is $LATEST equal to v1 but not to the newest (v2): v3.
        await store.updateFunctionSettings('auth', { timeoutMs: 3000 });
        expect((await store.publishVersion('auth', '')).version).toBe(2);
        await store.updateFunctionSettings('auth', { timeoutMs: SETTINGS.timeoutMs });
        expect((await store.publishVersion('auth', '')).version).toBe(3);
        expect((await store.listVersions('auth')).map((v) => v.version)).toEqual([1, 2, 3]);
      });

      test('the same bytes under another file name are a change worth a version', async () => {
        const { store, code } = await withFunction();
        await store.publishVersion('auth', '');
        await store.updateFunctionCode('auth', { ...code, fileName: 'index.mjs' });
        expect((await store.publishVersion('auth', '')).version).toBe(2);
      });

      test('publish with the current expectedRevisionId succeeds', async () => {
        const { store } = await withFunction();
        const fn = await store.getFunction('auth');
        expect((await store.publishVersion('auth', '', fn.revisionId)).version).toBe(1);
      });

      test('concurrent publishes never share a number: the versions are 1..n, each the $LATEST of its moment', async () => {
        const { store } = await withFunction();
        const results = await Promise.all([
          store.publishVersion('auth', ''),
          store.updateFunctionSettings('auth', { memoryMb: 256 }),
          store.publishVersion('auth', ''),
          store.updateFunctionSettings('auth', { memoryMb: 512 }),
          store.publishVersion('auth', ''),
        ]);
        const published = [results[0], results[2], results[4]] as Awaited<ReturnType<ControlStore['publishVersion']>>[];
        const listed = await store.listVersions('auth');
        expect(listed.map((v) => v.version)).toEqual(listed.map((_, i) => i + 1));
        // Each version holds a different $LATEST (a publish of an unchanged $LATEST makes none).
        expect(new Set(listed.map((v) => v.settings.memoryMb)).size).toBe(listed.length);
        for (const p of published) expect(listed[p.version - 1]).toEqual(p);
        // The final $LATEST is published, whichever publish saw it.
        const final = await store.publishVersion('auth', '');
        expect(final.settings.memoryMb).toBe(512);
      });

      test('concurrent publishes of different functions number each function from 1', async () => {
        const store = await open();
        const code = await putSource(store, 'x');
        await Promise.all(['a', 'b', 'c'].map((n) => store.createFunction(n, SETTINGS, code)));
        const versions = await Promise.all(['a', 'b', 'c'].map((n) => store.publishVersion(n, '')));
        expect(versions.map((v) => [v.functionName, v.version])).toEqual([['a', 1], ['b', 1], ['c', 1]]);
      });

      test('a version that does not exist is not found, naming the function and the number', async () => {
        const { store } = await withFunction(1);
        await expect(store.getVersion('auth', 7)).rejects.toMatchObject({ code: NOT_FOUND, message: 'function "auth" has no version 7' });
      });
    });

    describe('aliases', () => {
      test('an alias points at a version, with at most one weighted additional version', async () => {
        const { store } = await withFunction(3);
        const live = await store.createAlias('auth', { name: 'live', functionVersion: 2, additionalVersionWeights: { '3': 0.1 }, description: 'production' });
        expect(live).toMatchObject({
          functionName: 'auth',
          name: 'live',
          arn: 'verge:function:auth:live',
          functionVersion: 2,
          additionalVersionWeights: { '3': 0.1 },
          description: 'production',
        });
        expect(live.revisionId).toMatch(/.{8,}/);
        expect(live.createdAt).toMatch(ISO);
        expect(await store.getAlias('auth', 'live')).toEqual(live);
        const plain = await store.createAlias('auth', { name: 'beta', functionVersion: 3 });
        expect(plain.additionalVersionWeights).toEqual({});
        expect(plain.description).toBe('');
      });

      test('weights of exactly 0 and 1 are allowed', async () => {
        const { store } = await withFunction(2);
        expect((await store.createAlias('auth', { name: 'a', functionVersion: 1, additionalVersionWeights: { '2': 0 } })).additionalVersionWeights).toEqual({ '2': 0 });
        expect((await store.createAlias('auth', { name: 'b', functionVersion: 1, additionalVersionWeights: { '2': 1 } })).additionalVersionWeights).toEqual({ '2': 1 });
      });

      test('an alias to a version that does not exist is not found, for the primary and the additional version', async () => {
        const { store } = await withFunction(1);
        await expect(store.createAlias('auth', { name: 'live', functionVersion: 4 })).rejects.toMatchObject({ code: NOT_FOUND, message: 'function "auth" has no version 4' });
        await expect(store.createAlias('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: { '5': 0.5 } })).rejects.toMatchObject({
          code: NOT_FOUND,
          message: 'function "auth" has no version 5',
        });
        await expect(store.getAlias('auth', 'live')).rejects.toMatchObject({ code: NOT_FOUND, message: 'function "auth" has no alias "live"' });
      });

      test('bad routing is refused as invalid: weights outside 0..1, two additional versions, the primary as additional', async () => {
        const { store } = await withFunction(3);
        const cases: Record<string, number>[] = [{ '2': 1.5 }, { '2': -0.1 }, { '2': Number.NaN }, { '2': 0.1, '3': 0.1 }, { '1': 0.5 }, { latest: 0.5 }, { '0': 0.5 }];
        for (const weights of cases) {
          await expect(store.createAlias('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: weights }), JSON.stringify(weights)).rejects.toMatchObject({
            code: INVALID,
            message: expect.stringContaining('alias "live" of function "auth"'),
          });
        }
        expect(await store.listAliases('auth')).toEqual([]);
      });

      test('an alias name of digits only is refused: `auth:3` must mean version 3', async () => {
        const { store } = await withFunction(1);
        await expect(store.createAlias('auth', { name: '3', functionVersion: 1 })).rejects.toMatchObject({ code: INVALID });
        await expect(store.createAlias('auth', { name: '$LATEST', functionVersion: 1 })).rejects.toMatchObject({ code: INVALID });
      });

      test('creating an alias that exists is a conflict', async () => {
        const { store } = await withFunction(2);
        await store.createAlias('auth', { name: 'live', functionVersion: 1 });
        await expect(store.createAlias('auth', { name: 'live', functionVersion: 2 })).rejects.toMatchObject({ code: CONFLICT, message: expect.stringContaining('"live"') });
        expect((await store.getAlias('auth', 'live')).functionVersion).toBe(1);
      });

      test('updating an alias changes what the patch names and keeps the rest', async () => {
        const { store } = await withFunction(3);
        const live = await store.createAlias('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: { '2': 0.1 }, description: 'prod' });
        const shifted = await store.updateAlias('auth', 'live', { additionalVersionWeights: { '2': 0.5 } }, live.revisionId);
        expect(shifted).toMatchObject({ functionVersion: 1, additionalVersionWeights: { '2': 0.5 }, description: 'prod' });
        expect(shifted.revisionId).not.toBe(live.revisionId);
        expect(shifted.createdAt).toBe(live.createdAt);
        const promoted = await store.updateAlias('auth', 'live', { functionVersion: 2, additionalVersionWeights: {} });
        expect(promoted).toMatchObject({ functionVersion: 2, additionalVersionWeights: {}, description: 'prod' });
        expect(await store.getAlias('auth', 'live')).toEqual(promoted);
      });

      test('an alias update that breaks the routing rules is refused and changes nothing', async () => {
        const { store } = await withFunction(2);
        const live = await store.createAlias('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: { '2': 0.1 } });
        // Moving the primary onto the additional version without clearing the weights.
        await expect(store.updateAlias('auth', 'live', { functionVersion: 2 })).rejects.toMatchObject({ code: INVALID });
        await expect(store.updateAlias('auth', 'live', { functionVersion: 9 })).rejects.toMatchObject({ code: NOT_FOUND });
        await expect(store.updateAlias('auth', 'live', { additionalVersionWeights: { '2': 2 } })).rejects.toMatchObject({ code: INVALID });
        expect(await store.getAlias('auth', 'live')).toEqual(live);
      });

      test('an alias update with a stale expectedRevisionId is a conflict', async () => {
        const { store } = await withFunction(2);
        const live = await store.createAlias('auth', { name: 'live', functionVersion: 1 });
        const moved = await store.updateAlias('auth', 'live', { functionVersion: 2 }, live.revisionId);
        await expect(store.updateAlias('auth', 'live', { functionVersion: 1 }, live.revisionId)).rejects.toMatchObject({ code: CONFLICT, message: expect.stringContaining('alias "live"') });
        expect(await store.getAlias('auth', 'live')).toEqual(moved);
      });

      test('aliases are listed by name; deleting one leaves the others; a missing one is not found', async () => {
        const { store } = await withFunction(1);
        for (const n of ['prod', 'canary', 'dev']) await store.createAlias('auth', { name: n, functionVersion: 1 });
        expect((await store.listAliases('auth')).map((a) => a.name)).toEqual(['canary', 'dev', 'prod']);
        await store.deleteAlias('auth', 'dev');
        expect((await store.listAliases('auth')).map((a) => a.name)).toEqual(['canary', 'prod']);
        await expect(store.deleteAlias('auth', 'dev')).rejects.toMatchObject({ code: NOT_FOUND, message: 'function "auth" has no alias "dev"' });
        await expect(store.updateAlias('auth', 'dev', { description: 'x' })).rejects.toMatchObject({ code: NOT_FOUND });
      });
    });

    describe('distributions', () => {
      test('each save is a new revision numbered 1, 2, 3 per distribution', async () => {
        const store = await open();
        const r1 = await store.createRevision('main', { origins: [{ id: 'web' }] }, { createdBy: 'alice', comment: 'first' });
        expect(r1).toEqual({ distributionId: 'main', revision: 1, config: { origins: [{ id: 'web' }] }, comment: 'first', createdBy: 'alice', createdAt: r1.createdAt });
        expect(r1.createdAt).toMatch(ISO);
        const r2 = await store.createRevision('main', { origins: [] }, { createdBy: 'bob' });
        expect(r2).toMatchObject({ revision: 2, comment: '', createdBy: 'bob' });
        const other = await store.createRevision('assets', {}, { createdBy: 'alice' });
        expect(other.revision).toBe(1);
        expect((await store.createRevision('main', {}, { createdBy: 'alice' })).revision).toBe(3);
        expect(await store.getRevision('main', 1)).toEqual(r1);
        expect((await store.listRevisions('main')).map((r) => r.revision)).toEqual([1, 2, 3]);
        expect(await store.listDistributions()).toEqual([
          { distributionId: 'assets', latestRevision: 1 },
          { distributionId: 'main', latestRevision: 3 },
        ]);
      });

      test('concurrent saves get distinct revision numbers', async () => {
        const store = await open();
        const revisions = await Promise.all([1, 2, 3, 4, 5].map((i) => store.createRevision('main', { i }, { createdBy: 'ci' })));
        expect(revisions.map((r) => r.revision).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
        for (const r of revisions) expect((await store.getRevision('main', r.revision)).config).toEqual(r.config);
      });

      test('a missing distribution or revision is not found, naming it', async () => {
        const store = await open();
        await expect(store.listRevisions('main')).rejects.toMatchObject({ code: NOT_FOUND, message: 'distribution "main" does not exist' });
        await expect(store.getRevision('main', 1)).rejects.toMatchObject({ code: NOT_FOUND });
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await expect(store.getRevision('main', 2)).rejects.toMatchObject({ code: NOT_FOUND, message: 'distribution "main" has no revision 2' });
        expect(await store.listDistributions()).toEqual([{ distributionId: 'main', latestRevision: 1 }]);
      });
    });

    describe('locations', () => {
      test('a registered location starts serving and desiring nothing', async () => {
        const store = await open();
        const loc = await store.registerLocation('fra', 'http://127.0.0.1:8081');
        expect(loc).toEqual({
          name: 'fra',
          url: 'http://127.0.0.1:8081',
          registeredAt: loc.registeredAt,
          lastHeartbeatAt: undefined,
          distributionId: undefined,
          servingRevision: 0,
          servingGeneration: 0,
          desiredRevision: 0,
          desiredGeneration: 0,
          desiredDocument: undefined,
          health: [],
        });
        expect(loc.registeredAt).toMatch(ISO);
        expect(await store.getLocation('fra')).toEqual(loc);
      });

      test('registering again (a node restarted) keeps what the location should serve and updates its url', async () => {
        const store = await open();
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.registerLocation('fra', undefined);
        const desired = await store.setDesired('fra', { distributionId: 'main', revision: 1, document: { generation: 0 } });
        const again = await store.registerLocation('fra', 'http://127.0.0.1:9000');
        expect(again).toMatchObject({ url: 'http://127.0.0.1:9000', distributionId: 'main', desiredRevision: 1, desiredGeneration: desired.desiredGeneration });
        expect(again.desiredDocument).toEqual(desired.desiredDocument);
      });

      test('locations are listed by name; an unknown one is not found', async () => {
        const store = await open();
        for (const n of ['sin', 'fra', 'iad']) await store.registerLocation(n, undefined);
        expect((await store.listLocations()).map((l) => l.name)).toEqual(['fra', 'iad', 'sin']);
        const notFound = { code: NOT_FOUND, message: 'location "nrt" is not registered' };
        await expect(store.getLocation('nrt')).rejects.toMatchObject(notFound);
        await expect(store.recordHeartbeat('nrt', { servingRevision: 0, servingGeneration: 0, health: [] })).rejects.toMatchObject(notFound);
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await expect(store.setDesired('nrt', { distributionId: 'main', revision: 1, document: {} })).rejects.toMatchObject(notFound);
      });

      test('setDesired assigns generations 1, 2, 3, also concurrently, and stamps the document with its generation', async () => {
        const store = await open();
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.registerLocation('fra', undefined);
        const first = await store.setDesired('fra', { distributionId: 'main', revision: 1, document: { revision: 1, generation: 0, weights: 'a' } });
        expect(first).toMatchObject({ distributionId: 'main', desiredRevision: 1, desiredGeneration: 1, desiredDocument: { revision: 1, generation: 1, weights: 'a' } });
        // A rollout step within the same revision is a new generation too.
        expect((await store.setDesired('fra', { distributionId: 'main', revision: 1, document: { generation: 0, weights: 'b' } })).desiredGeneration).toBe(2);
        const concurrent = await Promise.all([1, 2, 1].map((revision) => store.setDesired('fra', { distributionId: 'main', revision, document: { generation: 0, revision } })));
        expect(concurrent.map((l) => l.desiredGeneration).sort()).toEqual([3, 4, 5]);
        const last = concurrent.find((l) => l.desiredGeneration === 5)!;
        const now = await store.getLocation('fra');
        expect(now.desiredGeneration).toBe(5);
        expect(now.desiredRevision).toBe(last.desiredRevision);
        expect(now.desiredDocument).toEqual({ generation: 5, revision: last.desiredRevision });
        // Setting it serves nothing yet: that is the node's heartbeat.
        expect(now.servingGeneration).toBe(0);
      });

      test('setDesired to a revision that does not exist is not found and changes nothing', async () => {
        const store = await open();
        await store.createRevision('main', {}, { createdBy: 'alice' });
        const loc = await store.registerLocation('fra', undefined);
        await expect(store.setDesired('fra', { distributionId: 'main', revision: 2, document: {} })).rejects.toMatchObject({ code: NOT_FOUND, message: 'distribution "main" has no revision 2' });
        await expect(store.setDesired('fra', { distributionId: 'other', revision: 1, document: {} })).rejects.toMatchObject({ code: NOT_FOUND });
        expect(await store.getLocation('fra')).toEqual(loc);
      });

      test('a heartbeat records what the node serves and keeps the latest sample per version key', async () => {
        const store = await open();
        await store.registerLocation('fra', undefined);
        const first = await store.recordHeartbeat('fra', {
          distributionId: 'main',
          servingRevision: 1,
          servingGeneration: 1,
          health: [
            { key: 'auth:2', requests: 100, errors: 1, p99Ms: 12 },
            { key: 'auth:1', requests: 50, errors: 0, p99Ms: 8 },
          ],
        });
        expect(first).toMatchObject({ distributionId: 'main', servingRevision: 1, servingGeneration: 1 });
        expect(first.lastHeartbeatAt).toMatch(ISO);
        expect(first.health.map(({ at: _at, ...s }) => s)).toEqual([
          { key: 'auth:1', requests: 50, errors: 0, p99Ms: 8 },
          { key: 'auth:2', requests: 100, errors: 1, p99Ms: 12 },
        ]);
        for (const s of first.health) expect(s.at).toMatch(ISO);
        const second = await store.recordHeartbeat('fra', { distributionId: 'main', servingRevision: 2, servingGeneration: 3, health: [{ key: 'auth:2', requests: 7, errors: 7, p99Ms: 99.5 }] });
        expect(second).toMatchObject({ servingRevision: 2, servingGeneration: 3 });
        expect(second.health.map(({ at: _at, ...s }) => s)).toEqual([
          { key: 'auth:1', requests: 50, errors: 0, p99Ms: 8 },
          { key: 'auth:2', requests: 7, errors: 7, p99Ms: 99.5 },
        ]);
        expect(await store.getLocation('fra')).toEqual(second);
      });

      test('the distribution a location is assigned (setDesired) is not overwritten by a heartbeat', async () => {
        const store = await open();
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.registerLocation('fra', undefined);
        await store.setDesired('fra', { distributionId: 'main', revision: 1, document: {} });
        const beat = await store.recordHeartbeat('fra', { distributionId: 'old', servingRevision: 4, servingGeneration: 0, health: [] });
        expect(beat.distributionId).toBe('main');
      });
    });

    describe('deployments', () => {
      async function withRevisions(): Promise<ControlStore> {
        const store = await open();
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.createRevision('main', {}, { createdBy: 'alice' });
        await store.createRevision('assets', {}, { createdBy: 'alice' });
        return store;
      }
      const base = { distributionId: 'main', revision: 2, previousRevision: 1, status: 'InProgress' as const, plan: { waves: [['fra'], ['iad', 'sin']] }, state: { wave: 0 }, createdBy: 'alice' };

      test('a created deployment reads back with an id, its plan, state and first events', async () => {
        const store = await withRevisions();
        const d = await store.createDeployment({ ...base, events: [event('created'), event('wave-started')] });
        expect(d).toMatchObject({ ...base, events: [{ type: 'created', by: 'tester' }, { type: 'wave-started' }] });
        expect(d.id).toMatch(/^\S+$/);
        expect(d.createdAt).toMatch(ISO);
        expect(await store.getDeployment(d.id)).toEqual(d);
        const bare = await store.createDeployment(base);
        expect(bare.events).toEqual([]);
        expect(bare.id).not.toBe(d.id);
      });

      test('a deployment of a revision that does not exist is not found', async () => {
        const store = await withRevisions();
        await expect(store.createDeployment({ ...base, revision: 9 })).rejects.toMatchObject({ code: NOT_FOUND, message: 'distribution "main" has no revision 9' });
        expect(await store.listDeployments()).toEqual([]);
      });

      test('updates replace status, plan and state and append events in order', async () => {
        const store = await withRevisions();
        const d = await store.createDeployment({ ...base, events: [event('created')] });
        const a = await store.updateDeployment(d.id, 'InProgress', { state: { wave: 1 }, events: [event('gate-passed', 'wave 0'), event('wave-started', 'wave 1')] });
        expect(a).toMatchObject({ status: 'InProgress', plan: base.plan, state: { wave: 1 } });
        const withData = { ...event('gate-failed', 'error rate 12% > 5%'), data: { errorRate: 0.12, key: 'auth:3' } };
        const b = await store.updateDeployment(d.id, 'InProgress', { status: 'RolledBack', plan: { waves: [] }, events: [withData, event('rolled-back')] });
        expect(b).toMatchObject({ status: 'RolledBack', plan: { waves: [] }, state: { wave: 1 } });
        expect(b.events.map((e) => [e.type, e.message])).toEqual([
          ['created', 'created'],
          ['gate-passed', 'wave 0'],
          ['wave-started', 'wave 1'],
          ['gate-failed', 'error rate 12% > 5%'],
          ['rolled-back', 'rolled-back'],
        ]);
        expect(b.events[3]).toEqual(withData);
        expect(b.events[0]).not.toHaveProperty('data');
        expect(b.createdAt).toBe(d.createdAt);
        expect(b.updatedAt >= d.updatedAt).toBe(true);
        expect(await store.getDeployment(d.id)).toEqual(b);
      });

      test('an update guarded by a status the deployment no longer has is a conflict and changes nothing', async () => {
        const store = await withRevisions();
        const d = await store.createDeployment(base);
        const done = await store.updateDeployment(d.id, 'InProgress', { status: 'Succeeded', events: [event('promoted')] });
        await expect(store.updateDeployment(d.id, 'InProgress', { status: 'Aborted', events: [event('aborted')] })).rejects.toMatchObject({
          code: CONFLICT,
          message: `deployment "${d.id}" is Succeeded, not InProgress`,
        });
        expect(await store.getDeployment(d.id)).toEqual(done);
        // Two racing promote/abort calls: exactly one wins.
        const e = await store.createDeployment(base);
        const outcomes = await Promise.allSettled([
          store.updateDeployment(e.id, 'InProgress', { status: 'Succeeded' }),
          store.updateDeployment(e.id, 'InProgress', { status: 'Aborted' }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason.code)).toEqual([CONFLICT]);
      });

      test('a missing deployment is not found', async () => {
        const store = await withRevisions();
        await expect(store.getDeployment('d-missing')).rejects.toMatchObject({ code: NOT_FOUND, message: 'deployment "d-missing" does not exist' });
        await expect(store.updateDeployment('d-missing', 'InProgress', {})).rejects.toMatchObject({ code: NOT_FOUND });
      });

      test('deployments are listed in creation order, all or for one distribution', async () => {
        const store = await withRevisions();
        const a = await store.createDeployment(base);
        const b = await store.createDeployment({ ...base, distributionId: 'assets', revision: 1, previousRevision: 0 });
        const c = await store.createDeployment({ ...base, revision: 1, previousRevision: 2 });
        expect((await store.listDeployments()).map((d) => d.id)).toEqual([a.id, b.id, c.id]);
        expect((await store.listDeployments('main')).map((d) => d.id)).toEqual([a.id, c.id]);
        expect(await store.listDeployments('nothing')).toEqual([]);
        await store.updateDeployment(b.id, base.status, { status: 'Succeeded' });
        expect((await store.listDeployments(undefined, base.status)).map((d) => d.id)).toEqual([a.id, c.id]);
        expect((await store.listDeployments('assets', 'Succeeded')).map((d) => d.id)).toEqual([b.id]);
        expect(await store.listDeployments('main', 'Succeeded')).toEqual([]);
      });
    });

    describe('returned objects are copies', () => {
      test('changing a returned record or an argument afterwards does not change the store', async () => {
        const { store } = await withFunction(1);
        const settings = { ...SETTINGS, environment: { A: '1' } };
        const code = await putSource(store, 'copy');
        await store.createFunction('copy', settings, code);
        settings.environment.A = 'changed';
        const fn = await store.getFunction('copy');
        expect(fn.settings.environment).toEqual({ A: '1' });
        (fn.settings.environment as Record<string, string>).A = 'mutated';
        (fn as { name: string }).name = 'renamed';
        expect((await store.getFunction('copy')).settings.environment).toEqual({ A: '1' });
        expect((await store.getFunction('copy')).name).toBe('copy');

        const v = await store.getVersion('auth', 1);
        (v.settings as { memoryMb: number }).memoryMb = 1;
        expect((await store.getVersion('auth', 1)).settings.memoryMb).toBe(128);

        const weights = { '1': 0.2 };
        await store.publishVersion('copy', '');
        await store.updateFunctionSettings('copy', { memoryMb: 256 });
        await store.publishVersion('copy', '');
        const alias = await store.createAlias('copy', { name: 'live', functionVersion: 2, additionalVersionWeights: weights });
        weights['1'] = 0.9;
        (alias.additionalVersionWeights as Record<string, number>)['1'] = 0.8;
        expect((await store.getAlias('copy', 'live')).additionalVersionWeights).toEqual({ '1': 0.2 });

        const config = { origins: [{ id: 'web' }] };
        const rev = await store.createRevision('main', config, { createdBy: 'alice' });
        config.origins.push({ id: 'added' });
        (rev.config.origins as unknown[]).length = 0;
        expect((await store.getRevision('main', 1)).config).toEqual({ origins: [{ id: 'web' }] });

        await store.registerLocation('fra', undefined);
        const document = { generation: 0, functions: ['a'] };
        const loc = await store.setDesired('fra', { distributionId: 'main', revision: 1, document });
        document.functions.push('b');
        (loc.desiredDocument as { functions: string[] }).functions.push('c');
        (loc.health as unknown[]).push({ key: 'x' });
        expect(await store.getLocation('fra')).toMatchObject({ desiredDocument: { generation: 1, functions: ['a'] }, health: [] });

        const events = [event('created')];
        const d = await store.createDeployment({ distributionId: 'main', revision: 1, previousRevision: 0, status: 'InProgress', plan: { waves: [] }, state: {}, createdBy: 'alice', events });
        events.push(event('sneaked'));
        (d.events as DeploymentEvent[]).push(event('mutated'));
        (d.plan as { waves: unknown[] }).waves.push('x');
        expect(await store.getDeployment(d.id)).toMatchObject({ plan: { waves: [] }, events: [{ type: 'created' }] });
      });
    });
  });
}
