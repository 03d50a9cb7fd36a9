import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import type { ControlStore } from '../../src/control/control-store.ts';
import { openControlStore } from '../../src/control/open-control-store.ts';
import { SqliteControlStore } from '../../src/control/sqlite-control-store.ts';
import { SCHEMA_VERSION } from '../../src/control/sqlite-control-schema.ts';
import { ControlStoreError } from '../../src/errors/control-errors.ts';
import { controlStoreContract, putSource, SETTINGS } from './control-store-contract.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const CRASHER = join(ROOT, 'test/control/fixtures/write-then-crash.ts');

controlStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-control-'));
  return { store: new SqliteControlStore(join(dir, 'control.db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

// ':memory:' runs the same contract: tests and `npm start` without a file use it.
describe('in memory', () => {
  controlStoreContract('sqlite', async () => ({ store: await openControlStore({ kind: 'sqlite', file: ':memory:' }), cleanup: async () => {} }));
});

describe('sqlite control store', () => {
  const dirs: string[] = [];
  const stores: ControlStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function tempFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'verge-control-'));
    dirs.push(dir);
    return join(dir, 'control.db');
  }
  function open(file: string): SqliteControlStore {
    const store = new SqliteControlStore(file);
    stores.push(store);
    return store;
  }

  test('everything written survives closing and reopening the file', async () => {
    const file = tempFile();
    const first = new SqliteControlStore(file);
    const code = await putSource(first, 'exports.handler = async () => 1;');
    await first.createFunction('auth', SETTINGS, code);
    const v1 = await first.publishVersion('auth', 'one');
    const alias = await first.createAlias('auth', { name: 'live', functionVersion: 1 });
    await first.createRevision('main', { origins: [{ id: 'web' }] }, { createdBy: 'alice' });
    await first.registerLocation('fra', 'http://127.0.0.1:1');
    const loc = await first.setDesired('fra', { distributionId: 'main', revision: 1, document: { generation: 0 } });
    const d = await first.createDeployment({ distributionId: 'main', revision: 1, previousRevision: 0, status: 'InProgress', plan: {}, state: {}, createdBy: 'alice' });
    const fn = await first.getFunction('auth');
    await first.close();

    const second = open(file);
    expect(await second.getFunction('auth')).toEqual(fn);
    expect(await second.getVersion('auth', 1)).toEqual(v1);
    expect(await second.getAlias('auth', 'live')).toEqual(alias);
    expect(new TextDecoder().decode(await second.getCode(code.sha256))).toBe('exports.handler = async () => 1;');
    expect(await second.getLocation('fra')).toEqual(loc);
    expect(await second.getDeployment(d.id)).toEqual(d);
    // Numbering carries on where it stopped.
    await second.updateFunctionSettings('auth', { memoryMb: 256 });
    expect((await second.publishVersion('auth', '')).version).toBe(2);
    expect((await second.createRevision('main', {}, { createdBy: 'bob' })).revision).toBe(2);
    expect((await second.setDesired('fra', { distributionId: 'main', revision: 2, document: {} })).desiredGeneration).toBe(2);
  });

  test('a store reopened after its process was killed has every write that returned', async () => {
    const file = tempFile();
    const child = spawnSync(NODE, ['--no-node-snapshot', CRASHER, file], { encoding: 'utf8', timeout: 15_000 });
    expect(child.stdout).toBe('written\n');
    expect(child.signal).toBe('SIGKILL');
    const store = open(file);
    expect((await store.getVersion('survivor', 1)).description).toBe('before the crash');
    expect((await store.getRevision('main', 1)).createdBy).toBe('crasher');
    expect((await store.publishVersion('survivor', '')).version).toBe(1);
  });

  test('two stores on one file see each other’s writes and never hand out one number twice', async () => {
    const file = tempFile();
    const a = open(file);
    const b = open(file);
    const code = await putSource(a, 'exports.handler = async () => 1;');
    await a.createFunction('auth', SETTINGS, code);
    expect((await b.getFunction('auth')).code).toEqual(code);
    await expect(b.createFunction('auth', SETTINGS, code)).rejects.toMatchObject({ code: 'VERGE_ERR_CONTROL_CONFLICT' });
    const published = await Promise.all(
      [a, b, a, b].map(async (store, i) => {
        await store.updateFunctionSettings('auth', { description: `from ${i}` });
        return store.publishVersion('auth', '');
      }),
    );
    const listed = await a.listVersions('auth');
    expect(listed.map((v) => v.version)).toEqual(listed.map((_, i) => i + 1));
    for (const p of published) expect(listed[p.version - 1]).toEqual(p);
    const revisions = await Promise.all([a, b, a, b].map((store) => store.createRevision('main', {}, { createdBy: 'ci' })));
    expect(revisions.map((r) => r.revision).sort()).toEqual([1, 2, 3, 4]);
    // A stale revisionId read through one store is refused through the other.
    const seen = await a.getFunction('auth');
    await b.updateFunctionSettings('auth', { memoryMb: 512 });
    await expect(a.updateFunctionSettings('auth', { memoryMb: 64 }, seen.revisionId)).rejects.toMatchObject({ code: 'VERGE_ERR_CONTROL_CONFLICT' });
  });

  test('the file records its schema version, and a missing directory is created', async () => {
    const file = join(tempFile(), '..', 'nested', 'deeper', 'control.db');
    await open(file).close();
    expect(existsSync(file)).toBe(true);
    const db = new DatabaseSync(file);
    try {
      expect(db.prepare('SELECT max(version) AS v FROM schema_version').get()).toEqual({ v: SCHEMA_VERSION });
      expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      db.close();
    }
  });

  test('a file that is not a database is refused with VERGE_ERR_CONTROL_STORE naming it, and left as it was', () => {
    const file = tempFile();
    writeFileSync(file, 'this is not a database, just some text that happens to be long enough '.repeat(100));
    const err = catchError(() => open(file));
    expect(err).toBeInstanceOf(ControlStoreError);
    expect(err).toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', fault: 'system', details: { file } });
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/not a database/);
  });

  test('a path that cannot be opened (a directory) is refused with VERGE_ERR_CONTROL_STORE, also through openControlStore', async () => {
    const dir = join(tempFile(), '..', 'a-directory');
    mkdirSync(dir);
    expect(catchError(() => open(dir))).toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', message: expect.stringContaining(dir) });
    await expect(openControlStore({ kind: 'sqlite', file: dir })).rejects.toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE' });
  });

  test('another program’s SQLite database is refused, not migrated into', () => {
    const file = tempFile();
    const db = new DatabaseSync(file);
    db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY)');
    db.close();
    expect(catchError(() => open(file))).toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', message: `${file} is a SQLite database but not a Verge control store (it has a table "entries" and no schema_version)` });
    const again = new DatabaseSync(file);
    expect(again.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all()).toEqual([{ name: 'entries' }]);
    again.close();
  });

  test('a file written by a newer Verge (a later schema version) is refused', async () => {
    const file = tempFile();
    await open(file).close();
    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)').run(SCHEMA_VERSION + 1, new Date().toISOString());
    db.close();
    expect(catchError(() => open(file))).toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', message: expect.stringContaining('newer Verge') });
  });

  test('a closed store rejects every call with VERGE_ERR_CONTROL_STORE; closing twice is harmless', async () => {
    const store = new SqliteControlStore(':memory:');
    await store.close();
    await store.close();
    await expect(store.listFunctions()).rejects.toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', message: 'The control store :memory: is closed' });
    await expect(store.putCode(new Uint8Array(1))).rejects.toBeInstanceOf(ControlStoreError);
  });

  test('a write that waits past the busy timeout for another connection\'s lock is VERGE_ERR_CONTROL_STORE, and the store works on', async () => {
    const file = tempFile();
    const store = open(file);
    const code = await putSource(store, 'x');
    await store.createFunction('auth', SETTINGS, code);
    await store.publishVersion('auth', '');
    await store.updateFunctionSettings('auth', { memoryMb: 999 });
    const other = new DatabaseSync(file);
    other.exec('BEGIN IMMEDIATE');
    let err: unknown;
    try {
      err = await store.publishVersion('auth', '').catch((e: unknown) => e);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(err).toMatchObject({ code: 'VERGE_ERR_CONTROL_STORE', message: `The control store ${file} could not publish version: database is locked` });
    expect((await store.listVersions('auth')).map((v) => v.version)).toEqual([1]);
    expect((await store.publishVersion('auth', '')).version).toBe(2);
  }, 30_000);
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
