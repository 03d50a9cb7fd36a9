import type { CacheConfig } from '../config/cache-config.ts';
import { CacheStoreError } from '../errors/cache-errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { CacheStore, CacheStoreOptions } from './cache-store.ts';
import { DiskCacheStore } from './disk-cache-store.ts';
import { MemoryCacheStore } from './memory-cache-store.ts';

const BYTES_PER_MB = 1024 * 1024;

/**
 * The store the node's `cache` section asks for. A memory store is this process's own (each worker
 * process of `verge serve` holds up to maxSizeMb); a disk store's directory is shared by all of
 * them. Rejects with CacheStoreError (VERGE_ERR_CACHE_STORE) when the disk store's directory
 * cannot be used.
 */
export async function openCacheStore(config: CacheConfig, logger?: Logger): Promise<CacheStore> {
  const options: CacheStoreOptions = { maxSizeBytes: config.maxSizeMb * BYTES_PER_MB, maxObjectSizeBytes: config.maxObjectSizeMb * BYTES_PER_MB };
  if (config.store === 'memory') return new MemoryCacheStore(options);
  // The schema requires `dir` with `store: disk`; this guards a config built by hand.
  if (config.dir === undefined) throw new CacheStoreError('cache.dir is required when cache.store is "disk"');
  return DiskCacheStore.open({ ...options, dir: config.dir, ...(logger === undefined ? {} : { logger }) });
}
