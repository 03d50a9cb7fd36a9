import { expect, test } from 'vitest';
import { MemoryCacheStore } from '../../src/cache/memory-cache-store.ts';
import { cacheStoreContract, chunksOf, entryMeta } from './cache-store-contract.ts';

cacheStoreContract('memory', async (options) => ({ store: new MemoryCacheStore(options), cleanup: async () => {} }));

test('the memory store drops a replaced entry from its variant index when lru-cache evicts it', async () => {
  const store = new MemoryCacheStore({ maxSizeBytes: 50_000, maxObjectSizeBytes: 40_000 });
  await store.put(entryMeta({ primaryKey: 'k', variantKey: 'a' }), chunksOf(Buffer.alloc(20_000), 4096));
  await store.put(entryMeta({ primaryKey: 'k', variantKey: 'b' }), chunksOf(Buffer.alloc(20_000), 4096));
  // A third 20 KB entry evicts the least recently used variant, 'a'; the index must forget it too.
  await store.put(entryMeta({ primaryKey: 'other' }), chunksOf(Buffer.alloc(20_000), 4096));
  expect((await store.variants('k')).map((e) => e.meta.variantKey)).toEqual(['b']);
  expect(await store.delete('k')).toBe(1);
  expect(store.stats().entries).toBe(1);
});
