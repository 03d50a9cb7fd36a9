import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { resolveByteRange } from './body-range.ts';
import type { ByteRange, CacheEntry, CacheEntryMeta, CacheStore, CacheStoreOptions, CacheStoreStats } from './cache-store.ts';
import { matchesInvalidationPath, parseInvalidationPath } from './invalidation-path.ts';

/** One stored response: its meta and its whole body. */
interface MemoryRecord {
  readonly meta: CacheEntryMeta;
  readonly body: Buffer;
  /** Put order, for variants() "most recently stored first". */
  readonly seq: number;
  /** What the record counts against maxSizeBytes. */
  readonly sizeBytes: number;
}

/**
 * Bytes a record is charged beyond its body and header text: the record and meta objects, the Map
 * entries of the LRU and the variant index. An estimate, so that many tiny entries still fill the
 * cache instead of growing without bound.
 */
const RECORD_OVERHEAD_BYTES = 256;

/**
 * Cached responses in this process's memory (one store per worker process), least recently used
 * evicted past maxSizeBytes, counted in bytes of body, headers and keys (lru-cache's maxSize with a
 * sizeCalculation). A secondary index primaryKey → variantKey → record lets variants() find every
 * Vary variant of a URL; lru-cache's dispose callback keeps it in step with every eviction, deletion
 * and replacement.
 */
export class MemoryCacheStore implements CacheStore {
  readonly kind = 'memory';
  readonly #maxObjectSizeBytes: number;
  readonly #lru: LRUCache<string, MemoryRecord>;
  readonly #variants = new Map<string, Map<string, MemoryRecord>>();
  #seq = 0;
  /** Bumped by every purge: a put that was filling while a purge ran is refused (see put). */
  #purgeEpoch = 0;

  constructor(options: CacheStoreOptions) {
    this.#maxObjectSizeBytes = options.maxObjectSizeBytes;
    this.#lru = new LRUCache<string, MemoryRecord>({
      maxSize: options.maxSizeBytes,
      sizeCalculation: (record) => record.sizeBytes,
      dispose: (record, _key, _reason) => this.#unindex(record),
    });
  }

  async variants(primaryKey: string): Promise<CacheEntry[]> {
    const byVariant = this.#variants.get(primaryKey);
    if (byVariant === undefined) return [];
    const now = Date.now();
    const live: MemoryRecord[] = [];
    for (const record of [...byVariant.values()]) {
      const key = lruKey(primaryKey, record.meta.variantKey);
      if (record.meta.expiresAtMs <= now) this.#lru.delete(key);
      else {
        // A read is a use: get() moves the record to the front of the LRU.
        this.#lru.get(key);
        live.push(record);
      }
    }
    return live.sort((a, b) => b.seq - a.seq).map(toEntry);
  }

  async put(meta: Omit<CacheEntryMeta, 'bodySize'>, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    if (meta.expiresAtMs <= Date.now()) return false;
    const epoch = this.#purgeEpoch;
    const chunks: Uint8Array[] = [];
    let bodySize = 0;
    try {
      for await (const chunk of body) {
        bodySize += chunk.byteLength;
        // Stop pulling at once: leaving the loop calls the iterator's return(), and what was
        // collected so far is dropped with `chunks`.
        if (bodySize > this.#maxObjectSizeBytes) return false;
        chunks.push(chunk);
      }
    } catch {
      // An origin body that broke off mid-way is never stored.
      return false;
    }
    // A purge that ran while this body was arriving may have been meant for it (the origin's answer
    // was fetched before the purge); storing it now would undo the invalidation.
    if (epoch !== this.#purgeEpoch || meta.expiresAtMs <= Date.now()) return false;
    const full: CacheEntryMeta = { ...meta, bodySize };
    const record: MemoryRecord = {
      meta: full,
      body: Buffer.concat(chunks, bodySize),
      seq: ++this.#seq,
      sizeBytes: bodySize + metaSizeBytes(full) + RECORD_OVERHEAD_BYTES,
    };
    return this.#insert(record);
  }

  async updateMeta(primaryKey: string, variantKey: string, update: Pick<CacheEntryMeta, 'headers' | 'policy' | 'expiresAtMs' | 'tags'>): Promise<boolean> {
    const old = this.#live(primaryKey, variantKey);
    if (old === undefined) return false;
    const meta: CacheEntryMeta = { ...old.meta, headers: update.headers, policy: update.policy, expiresAtMs: update.expiresAtMs, tags: update.tags };
    // A new record (headers change its size); the same body and put order.
    return this.#insert({ meta, body: old.body, seq: old.seq, sizeBytes: old.body.byteLength + metaSizeBytes(meta) + RECORD_OVERHEAD_BYTES });
  }

  async delete(primaryKey: string, variantKey?: string): Promise<number> {
    const byVariant = this.#variants.get(primaryKey);
    if (byVariant === undefined) return 0;
    const records = variantKey === undefined ? [...byVariant.values()] : [byVariant.get(variantKey)].filter((r) => r !== undefined);
    return this.#deleteRecords(records);
  }

  async purgePaths(patterns: readonly string[]): Promise<number> {
    this.#purgeEpoch++;
    const parsed = patterns.map(parseInvalidationPath);
    // A scan rather than a path index: purges are rare operator actions, and a scan of even a few
    // hundred thousand records takes milliseconds, where an index would cost every put.
    return this.#deleteRecords(this.#records().filter((r) => parsed.some((p) => matchesInvalidationPath(r.meta.path, p))));
  }

  async purgeTags(tags: readonly string[]): Promise<number> {
    this.#purgeEpoch++;
    const wanted = new Set(tags);
    return this.#deleteRecords(this.#records().filter((r) => r.meta.tags.some((t) => wanted.has(t))));
  }

  stats(): CacheStoreStats {
    return { entries: this.#lru.size, sizeBytes: this.#lru.calculatedSize };
  }

  async close(): Promise<void> {
    this.#lru.clear();
  }

  #insert(record: MemoryRecord): boolean {
    const { primaryKey, variantKey } = record.meta;
    const key = lruKey(primaryKey, variantKey);
    // set() disposes the record it replaces (dropping it from the index) and evicts from the LRU's
    // tail until the new one fits; a record larger than maxSizeBytes is refused (and the old one
    // dropped all the same).
    this.#lru.set(key, record);
    if (this.#lru.peek(key) !== record) return false;
    let byVariant = this.#variants.get(primaryKey);
    if (byVariant === undefined) this.#variants.set(primaryKey, (byVariant = new Map()));
    byVariant.set(variantKey, record);
    return true;
  }

  #unindex(record: MemoryRecord): void {
    const { primaryKey, variantKey } = record.meta;
    const byVariant = this.#variants.get(primaryKey);
    // Only if the index still points at this record: a replacement is indexed right after.
    if (byVariant?.get(variantKey) !== record) return;
    byVariant.delete(variantKey);
    if (byVariant.size === 0) this.#variants.delete(primaryKey);
  }

  /** The record if it exists and has not expired (an expired one is dropped on the way). */
  #live(primaryKey: string, variantKey: string): MemoryRecord | undefined {
    const record = this.#variants.get(primaryKey)?.get(variantKey);
    if (record === undefined) return undefined;
    if (record.meta.expiresAtMs <= Date.now()) {
      this.#lru.delete(lruKey(primaryKey, variantKey));
      return undefined;
    }
    return record;
  }

  #records(): MemoryRecord[] {
    return [...this.#variants.values()].flatMap((byVariant) => [...byVariant.values()]);
  }

  /** Deletes the records; counts those that had not expired (an expired one was already absent). */
  #deleteRecords(records: readonly MemoryRecord[]): number {
    const now = Date.now();
    let count = 0;
    for (const record of records) {
      if (this.#lru.delete(lruKey(record.meta.primaryKey, record.meta.variantKey)) && record.meta.expiresAtMs > now) count++;
    }
    return count;
  }
}

/** One string per (primaryKey, variantKey), unambiguous whatever either contains. */
function lruKey(primaryKey: string, variantKey: string): string {
  return `${primaryKey.length}:${primaryKey}${variantKey}`;
}

/** The text a record keeps besides its body, in UTF-16 code units (close to bytes for header text). */
function metaSizeBytes(meta: CacheEntryMeta): number {
  let size = meta.primaryKey.length + meta.variantKey.length + meta.path.length + meta.statusText.length;
  for (const h of meta.headers) size += h.length;
  for (const t of meta.tags) size += t.length;
  // The policy is opaque (http-cache-semantics' toObject(), with the request's headers): charged
  // by its JSON length.
  return size + (JSON.stringify(meta.policy)?.length ?? 0);
}

function toEntry(record: MemoryRecord): CacheEntry {
  return {
    meta: record.meta,
    body(range?: ByteRange): Readable {
      const { body } = record;
      if (range === undefined) return Readable.from(body.byteLength === 0 ? [] : [body], { objectMode: false });
      const { start, end } = resolveByteRange(range, body.byteLength);
      return Readable.from([body.subarray(start, end + 1)], { objectMode: false });
    },
    bodyBytes(range?: ByteRange): Uint8Array {
      const { body } = record;
      if (range === undefined) return body;
      const { start, end } = resolveByteRange(range, body.byteLength);
      return body.subarray(start, end + 1);
    },
  };
}
