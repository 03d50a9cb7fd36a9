import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { openCacheStore } from '../../src/cache/open-cache-store.ts';
import type { CacheConfig } from '../../src/config/cache-config.ts';
import { presentError } from '../../src/errors/error-response.ts';
import { chunksOf, entryMeta } from './cache-store-contract.ts';

const base: CacheConfig = { store: 'memory', maxSizeMb: 2, maxObjectSizeMb: 1, dir: undefined, collapseWaitMs: 10_000 };

test('store: memory opens a memory store bounded by maxObjectSizeMb in bytes', async () => {
  const store = await openCacheStore(base);
  expect(store.kind).toBe('memory');
  expect(await store.put(entryMeta(), chunksOf(Buffer.alloc(1024 * 1024), 65_536))).toBe(true);
  expect(await store.put(entryMeta({ primaryKey: 'big' }), chunksOf(Buffer.alloc(1024 * 1024 + 1), 65_536))).toBe(false);
  await store.close();
});

test('store: disk opens a disk store in cache.dir, and an unusable dir is VERGE_ERR_CACHE_STORE', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'verge-open-store-'));
  try {
    const store = await openCacheStore({ ...base, store: 'disk', dir: join(dir, 'cache') });
    expect(store.kind).toBe('disk');
    expect(await store.put(entryMeta(), chunksOf('on disk'))).toBe(true);
    expect(store.stats().entries).toBe(1);
    await store.close();
    writeFileSync(join(dir, 'not-a-dir'), '');
    await expect(openCacheStore({ ...base, store: 'disk', dir: join(dir, 'not-a-dir') })).rejects.toMatchObject({ code: 'VERGE_ERR_CACHE_STORE' });
    await expect(openCacheStore({ ...base, store: 'disk' })).rejects.toMatchObject({ code: 'VERGE_ERR_CACHE_STORE' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache store failure is presented as 503 Error, logged at error level', async () => {
  const err = await openCacheStore({ ...base, store: 'disk' }).catch((e: unknown) => e);
  expect(presentError(err, { executionErrorStatus: 503 })).toMatchObject({ status: 503, cacheStatus: 'Error', code: 'VERGE_ERR_CACHE_STORE', logLevel: 'error' });
});
