/**
 * The node's shared HTTP cache around a CacheStore: finds the stored variant for a request, collapses
 * concurrent misses for one key into one origin fetch, keeps one background refresh per key, stores
 * responses while they stream to the viewer, and invalidates by path or tag. The RFC 9111 decisions
 * are ResponsePolicy's (response-policy.ts); the lifecycle (pipeline/request-lifecycle.ts) decides
 * when each step runs, following CloudFront's hook rules.
 */
import { PassThrough, Transform, type Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import type { CacheConfig } from '../config/cache-config.ts';
import type { Logger } from '../observability/logger.ts';
import type { CacheEntry, CacheEntryMeta, CacheStore } from './cache-store.ts';
import { varyNames, variantKey } from './response-policy.ts';

export interface Lookup {
  readonly entry: CacheEntry | undefined;
  /** Why there is no entry: nothing under the key at all, or no variant matching the request's Vary'd headers. */
  readonly miss: 'uri-miss' | 'vary-miss';
}

/** A request that leads an origin fetch others may wait for; `done` must be called exactly once. */
export interface Flight {
  done(): void;
}

export interface InvalidationRequest {
  readonly paths?: readonly string[];
  readonly tags?: readonly string[];
}

// After a response that could not be stored, requests for its key go straight to the origin for a
// while instead of queueing behind each other (Varnish's hit-for-miss): collapsing must never turn
// an uncacheable URL into a serial one.
const PASS_MS = 10_000;
// Bytes the store's side of a tee may hold before the origin transfer waits for it.
const STORE_BUFFER_BYTES = 1 << 20;
// At most this long does a viewer's response end wait for its entry to be committed.
const STORE_COMMIT_WAIT_MS = 1_000;

export class HttpCache {
  readonly store: CacheStore;
  private readonly collapseWaitMs: number;
  private readonly logger: Logger;
  private readonly flights = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  private readonly passUntil = new LRUCache<string, number>({ max: 10_000 });
  private readonly refreshing = new Set<string>();
  private readonly pendingStores = new Set<Promise<unknown>>();

  constructor(store: CacheStore, config: Pick<CacheConfig, 'collapseWaitMs'>, logger: Logger) {
    this.store = store;
    this.collapseWaitMs = config.collapseWaitMs;
    this.logger = logger;
  }

  /** The stored variant whose Vary'd request headers match this request's (RFC 9111 §4.1). */
  async find(primaryKey: string, requestHeaders: readonly string[]): Promise<Lookup> {
    const variants = await this.store.variants(primaryKey);
    for (const entry of variants) {
      const names = varyNames(entry.meta.headers);
      // Vary: * never matches a later request (RFC 9111 §4.1).
      if (names === '*') continue;
      if (variantKey(names, requestHeaders) === entry.meta.variantKey) return { entry, miss: 'uri-miss' };
    }
    return { entry: undefined, miss: variants.length === 0 ? 'uri-miss' : 'vary-miss' };
  }

  /**
   * Request collapsing. When another request is already fetching this key, waits for it (at most
   * collapseWaitMs): `settled` when it finished (the caller looks again), `timeout` when the wait
   * ran out (the caller goes to the origin itself), `none` at once when nobody is fetching the key.
   */
  async awaitFlight(primaryKey: string): Promise<'none' | 'settled' | 'timeout'> {
    const flight = this.flights.get(primaryKey);
    if (flight === undefined || this.isPass(primaryKey)) return 'none';
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      flight.promise.then(() => 'settled' as const),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.collapseWaitMs))),
    ]);
    clearTimeout(timer);
    return outcome;
  }

  /** Marks this request as the one fetching the key, unless one already is (or the key is passed). */
  lead(primaryKey: string): Flight | undefined {
    if (this.flights.has(primaryKey) || this.isPass(primaryKey)) return undefined;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    const flight = { promise, resolve };
    this.flights.set(primaryKey, flight);
    let settled = false;
    return {
      done: () => {
        if (settled) return;
        settled = true;
        if (this.flights.get(primaryKey) === flight) this.flights.delete(primaryKey);
        resolve();
      },
    };
  }

  /** The response for this key could not be stored: stop collapsing requests for it for a while. */
  pass(primaryKey: string): void {
    this.passUntil.set(primaryKey, Date.now() + PASS_MS);
  }

  private isPass(primaryKey: string): boolean {
    const until = this.passUntil.get(primaryKey);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.passUntil.delete(primaryKey);
    return false;
  }

  /** One background refresh per key at a time (stale-while-revalidate); false when one is running. */
  beginRefresh(primaryKey: string): boolean {
    if (this.refreshing.has(primaryKey)) return false;
    this.refreshing.add(primaryKey);
    return true;
  }

  endRefresh(primaryKey: string): void {
    this.refreshing.delete(primaryKey);
  }

  /**
   * Stores a body the viewer is also receiving: returns the stream to send to the viewer and the
   * store's result. The origin transfer goes on for the store when the viewer leaves, and stops when
   * both are done with it; a body that breaks off is never stored (the store sees the error).
   */
  storeWhileSending(meta: Omit<CacheEntryMeta, 'bodySize'>, source: Readable): { viewer: Readable; stored: Promise<boolean> } {
    let stored!: Promise<boolean>;
    // The viewer's last byte waits (briefly) for the entry to be written: a client that asks again
    // as soon as it has the body finds it stored (read-your-writes, and what load tests expect).
    const viewer = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => callback(null, chunk),
      flush: (callback) => {
        let timer: NodeJS.Timeout | undefined;
        void Promise.race([stored, new Promise((resolve) => (timer = setTimeout(resolve, STORE_COMMIT_WAIT_MS)))]).then(() => {
          clearTimeout(timer);
          callback();
        });
      },
    });
    const forStore = new PassThrough({ highWaterMark: STORE_BUFFER_BYTES });
    source.on('error', (err) => {
      viewer.destroy(err);
      forStore.destroy(err);
    });
    source.pipe(viewer);
    source.pipe(forStore);
    let storeDone = false;
    const stopIfUnwanted = (): void => {
      if (storeDone && viewer.destroyed && !source.readableEnded) source.destroy();
    };
    viewer.once('close', stopIfUnwanted);
    stored = this.put(meta, forStore).then((ok) => {
      storeDone = true;
      // A refused body (too large) stops feeding the store; the viewer keeps its stream.
      if (!ok && !forStore.destroyed) {
        source.unpipe(forStore);
        forStore.destroy();
      }
      stopIfUnwanted();
      return ok;
    });
    return { viewer, stored };
  }

  /** Stores a whole response (a body in hand, or a stream nobody else reads). Never rejects. */
  put(meta: Omit<CacheEntryMeta, 'bodySize'>, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    const stored = this.store.put(meta, body).catch((err: unknown) => {
      this.logger.warn({ type: 'cache-store-error', code: 'VERGE_ERR_CACHE_STORE', key: meta.primaryKey, err: String(err) }, 'A response could not be stored');
      return false;
    });
    this.pendingStores.add(stored);
    void stored.finally(() => this.pendingStores.delete(stored));
    return stored;
  }

  /** CloudFront-style invalidation by path (exact, or prefix with a trailing `*`) and purge by tag. */
  async invalidate(request: InvalidationRequest): Promise<number> {
    let purged = 0;
    if (request.paths !== undefined && request.paths.length > 0) purged += await this.store.purgePaths(request.paths);
    if (request.tags !== undefined && request.tags.length > 0) purged += await this.store.purgeTags(request.tags);
    return purged;
  }

  /** Waits for stores in progress (bounded by the caller's drain), then closes the store. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pendingStores]);
    await this.store.close();
  }
}
