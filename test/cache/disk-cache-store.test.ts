import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { DiskCacheStore, type DiskCacheStoreOptions } from '../../src/cache/disk-cache-store.ts';
import { CacheStoreError } from '../../src/errors/cache-errors.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { LogLine } from '../helpers/harness.ts';
import { cacheStoreContract, chunksOf, entryMeta, readAll } from './cache-store-contract.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const WORKER = join(ROOT, 'test/cache/fixtures/disk-store-worker.ts');

const dirs: string[] = [];
async function eventuallyTrue(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  expect(check()).toBe(true);
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'verge-disk-cache-'));
  dirs.push(dir);
  return dir;
}

cacheStoreContract('disk', async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-disk-cache-'));
  return { store: await DiskCacheStore.open({ ...options, dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('disk store', () => {
  const stores: DiskCacheStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  async function open(options: Partial<DiskCacheStoreOptions> & { dir: string }): Promise<DiskCacheStore> {
    const store = await DiskCacheStore.open({ maxSizeBytes: 64 * 1024 * 1024, maxObjectSizeBytes: 32 * 1024 * 1024, ...options });
    stores.push(store);
    return store;
  }
  function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
    const lines: LogLine[] = [];
    return { lines, logger: createLogger({ stream: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } }) };
  }
  function bodyFiles(dir: string): string[] {
    return readdirSync(join(dir, 'bodies')).flatMap((shard) => readdirSync(join(dir, 'bodies', shard)).map((name) => `${shard}/${name}`));
  }

  test('entries survive closing and reopening the directory', async () => {
    const dir = tempDir();
    const first = await open({ dir });
    await first.put(entryMeta({ variantKey: 'br', tags: ['t'] }), chunksOf('compressed'));
    await first.put(entryMeta({ variantKey: '' }), chunksOf('plain'));
    const stats = first.stats();
    await first.close();

    const again = await open({ dir });
    const entries = await again.variants(entryMeta().primaryKey);
    expect(entries.map((e) => e.meta.variantKey)).toEqual(['', 'br']);
    expect(await Promise.all(entries.map((e) => readAll(e.body())))).toEqual(['plain', 'compressed']);
    expect(entries[1]!.meta).toEqual({ ...entryMeta({ variantKey: 'br', tags: ['t'] }), storedAtMs: entries[1]!.meta.storedAtMs, expiresAtMs: entries[1]!.meta.expiresAtMs, bodySize: 10 });
    expect(again.stats()).toEqual(stats);
    expect(await again.purgeTags(['t'])).toBe(1);
  });

  test('two stores on one directory see each other\'s writes, replacements and purges', async () => {
    const dir = tempDir();
    const a = await open({ dir });
    const b = await open({ dir });
    await a.put(entryMeta(), chunksOf('written by a'));
    expect(await readAll((await b.variants(entryMeta().primaryKey))[0]!.body())).toBe('written by a');
    const seenByA = (await a.variants(entryMeta().primaryKey))[0]!;
    await b.put(entryMeta(), chunksOf('replaced by b'));
    expect(await readAll((await a.variants(entryMeta().primaryKey))[0]!.body())).toBe('replaced by b');
    // A row read before the other store replaced it still opens its body (the old file is unlinked late).
    expect(await readAll(seenByA.body())).toBe('written by a');
    await b.put(entryMeta({ primaryKey: 'other', path: '/other' }), chunksOf('x'));
    expect(a.stats()).toEqual(b.stats());
    expect(a.stats().entries).toBe(2);
    expect(await a.purgePaths(['/other'])).toBe(1);
    expect(await b.variants('other')).toEqual([]);
  });

  test('worker processes writing one directory at once lose no entry and never tear a body', async () => {
    const dir = tempDir();
    const count = 40;
    const run = (worker: string) =>
      new Promise<{ stored: number; errors: string[] }>((resolve, reject) => {
        const child = spawn(NODE, [WORKER, dir, worker, String(count)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as { stored: number; errors: string[] }) : reject(new Error(`worker ${worker} exited ${code}: ${err}`))));
      });
    const results = await Promise.all(['w1', 'w2', 'w3'].map(run));
    for (const r of results) expect(r).toEqual({ stored: count, errors: [] });

    const store = await open({ dir, unlinkDelayMs: 0 });
    expect(store.stats().entries).toBe(3 * count + 1);
    for (const worker of ['w1', 'w2', 'w3']) {
      for (let i = 0; i < count; i++) expect(await readAll((await store.variants(`${worker}-${i}`))[0]!.body())).toBe(`${worker}-${i};`.repeat(50));
    }
    expect((await store.variants('shared')).length).toBe(1);
    // Every replaced body file was removed; the files left are exactly the live entries'.
    expect(bodyFiles(dir).length).toBe(3 * count + 1);
    expect(await store.purgeTags(['w2'])).toBe(count);
  }, 60_000);

  test('a 20 MB body is written to disk as it arrives and read back in small chunks', async () => {
    const dir = tempDir();
    const store = await open({ dir });
    const chunkBytes = 64 * 1024;
    const chunks = 320;
    const hash = createHash('sha256');
    let lagBytes = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < chunks; i++) {
        // Before each chunk, the chunks already handed over are on disk, not held by the store.
        const tmp = readdirSync(join(dir, 'tmp'));
        const onDisk = tmp.length === 1 ? statSync(join(dir, 'tmp', tmp[0]!)).size : 0;
        lagBytes = Math.max(lagBytes, i * chunkBytes - onDisk);
        const chunk = Buffer.alloc(chunkBytes, i % 251);
        hash.update(chunk);
        yield chunk;
      }
    }
    expect(await store.put(entryMeta(), body())).toBe(true);
    expect(lagBytes).toBeLessThanOrEqual(chunkBytes);
    const [entry] = await store.variants(entryMeta().primaryKey);
    expect(entry!.meta.bodySize).toBe(chunks * chunkBytes);
    const readHash = createHash('sha256');
    let largestChunk = 0;
    for await (const chunk of entry!.body()) {
      largestChunk = Math.max(largestChunk, (chunk as Buffer).byteLength);
      readHash.update(chunk as Buffer);
    }
    expect(readHash.digest('hex')).toBe(hash.digest('hex'));
    expect(largestChunk).toBeLessThanOrEqual(chunkBytes);
    // A range deep inside the file reads only that range.
    const range = await readAll(entry!.body({ start: 100 * chunkBytes - 2, end: 100 * chunkBytes + 1 }));
    expect(Buffer.from(range, 'latin1')).toEqual(Buffer.from([99, 99, 100, 100]));
  });

  test('a corrupt index file is set aside with a warning, and the store starts empty and works', async () => {
    const dir = tempDir();
    const first = await open({ dir });
    await first.put(entryMeta(), chunksOf('before the damage'));
    await first.close();
    writeFileSync(join(dir, 'index.sqlite'), 'this is not a database '.repeat(500));
    rmSync(join(dir, 'index.sqlite-wal'), { force: true });
    rmSync(join(dir, 'index.sqlite-shm'), { force: true });

    const { logger, lines } = capturingLogger();
    const store = await open({ dir, logger });
    expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
    expect(store.stats()).toEqual({ entries: 0, sizeBytes: 0 });
    const warning = lines.find((l) => l.type === 'cache-index-reset');
    expect(warning).toMatchObject({ level: 'warn', code: 'VERGE_ERR_CACHE_STORE', dir });
    expect(readFileSync(warning!.movedTo as string, 'utf8')).toContain('this is not a database');
    expect(await store.put(entryMeta(), chunksOf('after'))).toBe(true);
    expect(await readAll((await store.variants(entryMeta().primaryKey))[0]!.body())).toBe('after');
  });

  test('a truncated index file is treated as corrupt too', async () => {
    const dir = tempDir();
    const first = await open({ dir });
    for (let i = 0; i < 50; i++) await first.put(entryMeta({ primaryKey: `k${i}` }), chunksOf(`body ${i}`));
    await first.close();
    const index = join(dir, 'index.sqlite');
    writeFileSync(index, readFileSync(index).subarray(0, 5000));
    const { logger, lines } = capturingLogger();
    const store = await open({ dir, logger });
    expect(lines.some((l) => l.type === 'cache-index-reset')).toBe(true);
    expect(store.stats().entries).toBe(0);
  });

  test('a directory that cannot be created is a VERGE_ERR_CACHE_STORE error', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), '');
    const opening = DiskCacheStore.open({ dir: join(dir, 'file', 'cache'), maxSizeBytes: 1e6, maxObjectSizeBytes: 1e5 });
    await expect(opening).rejects.toBeInstanceOf(CacheStoreError);
    await expect(opening).rejects.toMatchObject({ code: 'VERGE_ERR_CACHE_STORE' });
  });

  test('replaced, deleted and purged bodies are removed from disk', async () => {
    const dir = tempDir();
    const store = await open({ dir, unlinkDelayMs: 0 });
    await store.put(entryMeta(), chunksOf('one'));
    await store.put(entryMeta(), chunksOf('two'));
    await store.put(entryMeta({ primaryKey: 'b', path: '/b' }), chunksOf('b'));
    await store.put(entryMeta({ primaryKey: 'c', path: '/c', tags: ['c'] }), chunksOf('c'));
    await store.delete('b');
    await store.purgeTags(['c']);
    await eventuallyTrue(() => bodyFiles(dir).length === 1);
  });

  test('a purge of more entries than one batch deletes them all, and their files', async () => {
    const dir = tempDir();
    const store = await open({ dir, unlinkDelayMs: 0 });
    for (let i = 0; i < 1100; i++) {
      await store.put(entryMeta({ primaryKey: `GET /many/${i}`, path: `/many/${i}`, tags: i % 2 === 0 ? ['even'] : [] }), chunksOf(`${i}`));
    }
    await store.put(entryMeta({ primaryKey: 'GET /few', path: '/few', tags: ['even-not'] }), chunksOf('few'));
    expect(await store.purgeTags(['even'])).toBe(550);
    expect(await store.purgePaths(['/many/*'])).toBe(550);
    expect(store.stats().entries).toBe(1);
    await eventuallyTrue(() => bodyFiles(dir).length === 1);
  }, 30_000);

  test('a body refused as too large leaves no file behind', async () => {
    const dir = tempDir();
    const store = await open({ dir, maxObjectSizeBytes: 100_000 });
    expect(await store.put(entryMeta(), chunksOf(Buffer.alloc(300_000), 65_536))).toBe(false);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(bodyFiles(dir)).toEqual([]);
  });

  test('expired entries are swept without being read', async () => {
    const dir = tempDir();
    const store = await open({ dir, sweepIntervalMs: 50, unlinkDelayMs: 0 });
    await store.put(entryMeta({ primaryKey: 'short', expiresAtMs: Date.now() + 100 }), chunksOf('short'));
    await store.put(entryMeta({ primaryKey: 'long' }), chunksOf('long'));
    expect(store.stats().entries).toBe(2);
    await eventuallyTrue(() => store.stats().entries === 1 && bodyFiles(dir).length === 1);
  });

  test('body files that no entry names are deleted at open once they are old', async () => {
    const dir = tempDir();
    const first = await open({ dir });
    await first.put(entryMeta(), chunksOf('kept'));
    await first.close();
    mkdirSync(join(dir, 'bodies', 'zz'), { recursive: true });
    const old = join(dir, 'bodies', 'zz', 'zz-left-over');
    const young = join(dir, 'bodies', 'zz', 'zz-being-written');
    const oldTmp = join(dir, 'tmp', 'abandoned');
    for (const file of [old, young, oldTmp]) writeFileSync(file, 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);
    utimesSync(oldTmp, hourAgo, hourAgo);
    const store = await open({ dir });
    await eventuallyTrue(() => !bodyFiles(dir).includes('zz/zz-left-over'));
    expect(bodyFiles(dir).filter((f) => f.startsWith('zz/'))).toEqual(['zz/zz-being-written']);
    expect(bodyFiles(dir).length).toBe(2);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(await readAll((await store.variants(entryMeta().primaryKey))[0]!.body())).toBe('kept');
  });

  test('an entry whose body file is gone is dropped, and its stream fails with VERGE_ERR_CACHE_STORE', async () => {
    const dir = tempDir();
    const { logger, lines } = capturingLogger();
    const store = await open({ dir, logger });
    await store.put(entryMeta(), chunksOf('soon lost'));
    for (const file of bodyFiles(dir)) rmSync(join(dir, 'bodies', file));
    const [entry] = await store.variants(entryMeta().primaryKey);
    await expect(readAll(entry!.body())).rejects.toMatchObject({ code: 'VERGE_ERR_CACHE_STORE' });
    expect(lines.some((l) => l.type === 'cache-store-failed' && l.operation === 'body')).toBe(true);
    expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
    expect(store.stats().entries).toBe(0);
  });
});
