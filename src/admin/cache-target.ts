/**
 * One cache an invalidation must reach: a worker process's (`verge serve`, asked over IPC by the
 * supervisor) or an in-process edge node's own. The admin API purges through these and nothing
 * else, so it works the same with or without a supervisor.
 */
import type { HttpCache, InvalidationRequest } from '../cache/http-cache.ts';

export interface CacheTarget {
  /** The process holding the cache, for the invalidation's record. */
  readonly pid: number;
  /**
   * Purges; resolves the number of entries purged. Rejects with the store's error
   * (VERGE_ERR_CACHE_STORE), or with CacheTargetGoneError when the process ended before answering.
   */
  invalidate(request: InvalidationRequest): Promise<number>;
}

/** The process holding the cache ended before it answered: with a memory store, its cache went with it. */
export class CacheTargetGoneError extends Error {
  constructor(pid: number) {
    super(`process ${pid} exited before it answered`);
    this.name = 'CacheTargetGoneError';
  }
}

/** An in-process node's cache (`startEdgeNode`): `createAdminApp` / `startAdminServer` with `targets: () => [localCacheTarget(node.cache)]`. */
export function localCacheTarget(cache: HttpCache): CacheTarget {
  return { pid: process.pid, invalidate: (request) => cache.invalidate(request) };
}
