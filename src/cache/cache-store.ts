/**
 * Where cached responses live. The HTTP cache (http-cache.ts) decides what to store and when an entry
 * may be used (RFC 9111); a store only keeps entries, bounded in bytes, and finds them again. Every
 * implementation passes the one contract suite in test/cache/cache-store-contract.ts.
 *
 * An entry is identified by (primaryKey, variantKey): the primary key comes from the behavior's cache
 * policy (URL, selected query strings, headers, cookies, normalised Accept-Encoding); the variant key
 * from the stored response's Vary header (RFC 9111 §4.1), so one URL may hold several variants.
 */
import type { Readable } from 'node:stream';

export interface CacheEntryMeta {
  readonly primaryKey: string;
  /** '' when the response has no Vary; otherwise the normalised values of the request headers it names. */
  readonly variantKey: string;
  /** The request's URI path (no query string): what path invalidations match, like CloudFront's. */
  readonly path: string;
  /** Purge tags from the response's Cache-Tag / Surrogate-Key headers. */
  readonly tags: readonly string[];
  readonly status: number;
  readonly statusText: string;
  /** The stored response header list, flat: [name, value, name, value, …], names as received. */
  readonly headers: readonly string[];
  /**
   * The freshness policy's serialised state (ResponsePolicy.toObject()), opaque to the store. It
   * must survive JSON.stringify / JSON.parse: the disk store keeps it as JSON.
   */
  readonly policy: unknown;
  /** When the entry was written (ms since the epoch). */
  readonly storedAtMs: number;
  /**
   * After this instant (ms since the epoch) the entry is of no use even stale (freshness lifetime plus
   * its stale-while-revalidate / stale-if-error windows): a store may drop it at any time after.
   * A revalidated entry gets a new one through updateMeta.
   */
  readonly expiresAtMs: number;
  /** Body length in bytes. */
  readonly bodySize: number;
}

export interface ByteRange {
  /** First byte, inclusive. */
  readonly start: number;
  /** Last byte, inclusive (RFC 9110 §14.1.1 byte-range form). */
  readonly end: number;
}

export interface CacheEntry {
  readonly meta: CacheEntryMeta;
  /**
   * A new stream of the body (or of one range of it). Each call makes a fresh stream; the entry's body
   * stays readable after the entry is deleted or replaced until the stream ends. Read it to its end
   * or destroy() it: the disk store holds the body file open until then. Throws RangeError for a
   * range that does not fit the body (an `end` past it is clamped).
   */
  body(range?: ByteRange): Readable;
  /**
   * The body (or one range of it) as bytes in hand, when the store keeps it in memory: the cache
   * then writes the response in one go instead of through a stream (a hit's hot path). Optional:
   * a store without it (disk) is always read through body().
   */
  bodyBytes?(range?: ByteRange): Uint8Array;
}

export interface CacheStoreStats {
  readonly entries: number;
  /** Bytes counted against maxSizeBytes (bodies plus headers and metadata). */
  readonly sizeBytes: number;
}

/**
 * A store's own failures (a busy index, a full disk) never fail a request: put and updateMeta
 * resolve false and variants resolves [] (a miss), with a `warn` log line. delete, purgePaths and
 * purgeTags reject with CacheStoreError (VERGE_ERR_CACHE_STORE), so an invalidation never reports a
 * success it did not have. A body stream whose file was lost errors with that code.
 */
export interface CacheStore {
  /** `memory` or `disk`: shown in logs and the Cache-Status header's `detail`. */
  readonly kind: string;
  /** All live (not expired) variants stored under a primary key, most recently stored first. */
  variants(primaryKey: string): Promise<CacheEntry[]>;
  /**
   * Stores a response, replacing the entry with the same (primaryKey, variantKey). The body is
   * consumed as it arrives (never buffered whole by the disk store); meta.bodySize is ignored and
   * set from the bytes read. Resolves false, storing nothing, when the body exceeds maxObjectSizeBytes
   * or the iterable throws (an origin body that broke off mid-way is never stored).
   */
  put(meta: Omit<CacheEntryMeta, 'bodySize'>, body: AsyncIterable<Uint8Array>): Promise<boolean>;
  /** Replaces an entry's headers, policy and expiry (after a 304 revalidation); false if it is gone. */
  updateMeta(primaryKey: string, variantKey: string, update: Pick<CacheEntryMeta, 'headers' | 'policy' | 'expiresAtMs' | 'tags'>): Promise<boolean>;
  /** Deletes one variant, or every variant of the key when variantKey is omitted. Resolves the count. */
  delete(primaryKey: string, variantKey?: string): Promise<number>;
  /**
   * Deletes every entry whose path matches one of the patterns: an exact path, or a prefix when the
   * pattern ends in `*` (CloudFront's invalidation paths: `/images/*`, `/*`). Resolves the count.
   */
  purgePaths(patterns: readonly string[]): Promise<number>;
  /** Deletes every entry carrying one of the tags. Resolves the count. */
  purgeTags(tags: readonly string[]): Promise<number>;
  stats(): CacheStoreStats;
  close(): Promise<void>;
}

export interface CacheStoreOptions {
  readonly maxSizeBytes: number;
  readonly maxObjectSizeBytes: number;
}
