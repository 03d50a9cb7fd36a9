import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { CacheStoreError } from '../errors/cache-errors.ts';
import type { Logger } from '../observability/logger.ts';
import { resolveByteRange } from './body-range.ts';
import { DelayedUnlink } from './delayed-unlink.ts';
import type { ByteRange, CacheEntry, CacheEntryMeta, CacheStore, CacheStoreOptions, CacheStoreStats } from './cache-store.ts';
import { DiskCacheIndex, type IndexRow, UnusableIndexError } from './disk-cache-index.ts';
import { parseInvalidationPath } from './invalidation-path.ts';

export interface DiskCacheStoreOptions extends CacheStoreOptions {
  /** The store's directory, created if missing; every worker process of a node opens the same one. */
  readonly dir: string;
  /** Where the store's warnings go (an unusable index, a failed write); none by default. */
  readonly logger?: Logger;
  /** How often expired entries are deleted and the size bound checked again (other processes' puts). */
  readonly sweepIntervalMs?: number;
  /**
   * How long a replaced or deleted body file stays on disk: another worker process that read the
   * old index row just before can still open it. A stream already opened reads on regardless
   * (an unlinked file lives until its last descriptor closes, POSIX unlink()).
   */
  readonly unlinkDelayMs?: number;
}

const INDEX_FILE = 'index.sqlite';
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_UNLINK_DELAY_MS = 5_000;
/** How long reads may go unrecorded in the index: LRU order across processes lags by this much. */
const ACCESS_FLUSH_MS = 1_000;
/** A body file no index row names, untouched this long, is left over from a crash: deleted at open. */
const ORPHAN_AGE_MS = 10 * 60_000;
/** Small chunks are gathered into writes of this size (an origin may send a body in tiny pieces). */
const WRITE_BATCH_BYTES = 64 * 1024;
/** Rows a purge deletes per transaction (see disk-cache-index.ts, purgePathBatch). */
const PURGE_BATCH_ROWS = 500;
/** Bytes an entry is charged beyond its body and its index row's text (the row, its index entries, the inode). */
const ENTRY_OVERHEAD_BYTES = 256;

/** What the index keeps of a meta in its JSON column (the rest has columns of its own). */
interface StoredMeta {
  readonly status: number;
  readonly statusText: string;
  readonly headers: readonly string[];
  readonly policy: unknown;
  readonly storedAtMs: number;
  readonly tags: readonly string[];
}

/**
 * Cached responses in one directory on disk, shared by the node's worker processes: each body in a
 * file of its own (`bodies/ab/abcdef…`, a random name per put), found through an SQLite index
 * (disk-cache-index.ts) that survives restarts. A body is streamed to a temporary file as it
 * arrives and renamed into place when complete, so no body is ever held in memory whole and no
 * reader ever sees half of one. Least recently used entries are evicted past maxSizeBytes.
 *
 * Open it with DiskCacheStore.open().
 */
export class DiskCacheStore implements CacheStore {
  readonly kind = 'disk';
  readonly #dir: string;
  readonly #bodiesDir: string;
  readonly #tmpDir: string;
  readonly #index: DiskCacheIndex;
  readonly #logger: Logger | undefined;
  readonly #maxSizeBytes: number;
  readonly #maxObjectSizeBytes: number;
  /** Reads not yet written to the index: entry id → access time. */
  readonly #accesses = new Map<number, number>();
  #accessTimer: NodeJS.Timeout | undefined;
  readonly #sweepTimer: NodeJS.Timeout;
  readonly #unlinks: DelayedUnlink;
  #orphanSweep: Promise<void> = Promise.resolve();
  #lastStats: CacheStoreStats = { entries: 0, sizeBytes: 0 };
  #closed = false;

  static async open(options: DiskCacheStoreOptions): Promise<DiskCacheStore> {
    const { dir, logger } = options;
    const bodiesDir = join(dir, 'bodies');
    const tmpDir = join(dir, 'tmp');
    try {
      await mkdir(bodiesDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      // A directory we can list but not write would otherwise fail every put, one warning each.
      const probe = join(tmpDir, `probe-${randomBytes(8).toString('hex')}`);
      await writeFile(probe, '');
      await unlink(probe);
    } catch (err) {
      throw new CacheStoreError(`The disk cache directory ${dir} cannot be used: ${(err as Error).message}`, { dir }, { cause: err });
    }
    const store = new DiskCacheStore(options, openIndex(join(dir, INDEX_FILE), dir, logger), bodiesDir, tmpDir);
    store.#orphanSweep = store.#sweepOrphans();
    return store;
  }

  /** Use DiskCacheStore.open(), which prepares the directory and the index first. */
  constructor(options: DiskCacheStoreOptions, index: DiskCacheIndex, bodiesDir: string, tmpDir: string) {
    this.#dir = options.dir;
    this.#bodiesDir = bodiesDir;
    this.#tmpDir = tmpDir;
    this.#index = index;
    this.#logger = options.logger;
    this.#maxSizeBytes = options.maxSizeBytes;
    this.#maxObjectSizeBytes = options.maxObjectSizeBytes;
    this.#unlinks = new DelayedUnlink(options.unlinkDelayMs ?? DEFAULT_UNLINK_DELAY_MS);
    this.#sweepTimer = setInterval(() => this.#sweep(), options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS).unref();
  }

  async variants(primaryKey: string): Promise<CacheEntry[]> {
    if (this.#closed) return [];
    let rows: IndexRow[];
    try {
      rows = this.#index.variants(primaryKey);
    } catch (err) {
      // On the request path a store failure is a miss, not an error response.
      this.#warn('variants', err);
      return [];
    }
    const now = Date.now();
    const dropped: number[] = [];
    const entries: CacheEntry[] = [];
    for (const row of rows) {
      const meta = row.expires_at_ms > now ? parseMeta(row) : undefined;
      if (meta === undefined) {
        dropped.push(row.id);
        continue;
      }
      this.#recordAccess(row.id);
      entries.push(this.#entry(row, meta));
    }
    this.#deleteIdsQuietly(dropped);
    return entries;
  }

  async put(meta: Omit<CacheEntryMeta, 'bodySize'>, body: AsyncIterable<Uint8Array>): Promise<boolean> {
    if (this.#closed || meta.expiresAtMs <= Date.now()) return false;
    let epoch: number;
    try {
      epoch = this.#index.purgeEpoch();
    } catch (err) {
      this.#warn('put', err);
      return false;
    }
    const name = randomBytes(16).toString('hex');
    const tmpPath = join(this.#tmpDir, name);
    const bodySize = await this.#writeBody(tmpPath, body);
    if (bodySize === undefined) return false;
    const file = `${name.slice(0, 2)}/${name}`;
    const bodyPath = join(this.#bodiesDir, file);
    try {
      await mkdir(join(this.#bodiesDir, name.slice(0, 2)), { recursive: true });
      // rename() is atomic: the body appears in place whole, never half-written.
      await rename(tmpPath, bodyPath);
    } catch (err) {
      this.#warn('put', err);
      await rm(tmpPath, { force: true }).catch(() => undefined);
      return false;
    }
    if (this.#closed || meta.expiresAtMs <= Date.now()) {
      await rm(bodyPath, { force: true }).catch(() => undefined);
      return false;
    }
    const stored: StoredMeta = { status: meta.status, statusText: meta.statusText, headers: meta.headers, policy: meta.policy, storedAtMs: meta.storedAtMs, tags: meta.tags };
    const metaJson = JSON.stringify(stored);
    let result: { stored: boolean; files: string[] };
    try {
      result = this.#index.insert(
        {
          primaryKey: meta.primaryKey,
          variantKey: meta.variantKey,
          path: meta.path,
          meta: metaJson,
          file,
          bodySize,
          sizeBytes: entrySizeBytes(meta, metaJson, file, bodySize),
          expiresAtMs: meta.expiresAtMs,
          tags: meta.tags,
        },
        epoch,
        accessClock(),
        this.#maxSizeBytes,
        this.#accesses,
      );
      this.#accesses.clear();
    } catch (err) {
      this.#warn('put', err);
      await rm(bodyPath, { force: true }).catch(() => undefined);
      return false;
    }
    this.#unlinkLater(result.files);
    if (!result.stored) await rm(bodyPath, { force: true }).catch(() => undefined);
    return result.stored;
  }

  async updateMeta(primaryKey: string, variantKey: string, update: Pick<CacheEntryMeta, 'headers' | 'policy' | 'expiresAtMs' | 'tags'>): Promise<boolean> {
    if (this.#closed) return false;
    try {
      return this.#index.updateMeta(
        primaryKey,
        variantKey,
        (row) => {
          const previous = JSON.parse(row.meta) as StoredMeta;
          const next: StoredMeta = { ...previous, headers: update.headers, policy: update.policy, tags: update.tags };
          const json = JSON.stringify(next);
          return { meta: json, sizeBytes: entrySizeBytes({ primaryKey, variantKey, path: row.path }, json, row.file, row.body_size) };
        },
        update.expiresAtMs,
        update.tags,
        Date.now(),
        accessClock(),
      );
    } catch (err) {
      this.#warn('updateMeta', err);
      return false;
    }
  }

  async delete(primaryKey: string, variantKey?: string): Promise<number> {
    this.#assertOpen('delete');
    try {
      const { files, live } = this.#index.delete(primaryKey, variantKey, Date.now());
      this.#unlinkLater(files);
      return live;
    } catch (err) {
      throw this.#failure('delete', err);
    }
  }

  async purgePaths(patterns: readonly string[]): Promise<number> {
    return this.#purge('purgePaths', patterns.map(parseInvalidationPath).map((p) => (now: number) => this.#index.purgePathBatch(p, now, PURGE_BATCH_ROWS)));
  }

  async purgeTags(tags: readonly string[]): Promise<number> {
    return this.#purge('purgeTags', [(now: number) => this.#index.purgeTagBatch(tags, now, PURGE_BATCH_ROWS)]);
  }

  /** Read from the index's running totals: every process's entries, exact once their writes commit. */
  stats(): CacheStoreStats {
    if (this.#closed) return this.#lastStats;
    try {
      this.#lastStats = this.#index.totals();
    } catch {
      // A busy or failing index: the last figures read are the best there are.
    }
    return this.#lastStats;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushAccesses();
    this.#closed = true;
    clearInterval(this.#sweepTimer);
    clearTimeout(this.#accessTimer);
    await this.#orphanSweep;
    await this.#unlinks.flush();
    this.#index.close();
  }

  #entry(row: IndexRow, meta: CacheEntryMeta): CacheEntry {
    const path = join(this.#bodiesDir, row.file);
    return {
      meta,
      body: (range?: ByteRange): Readable => {
        const bytes = range === undefined ? undefined : resolveByteRange(range, meta.bodySize);
        // Opened now, not on the stream's first read: the stream then reads this body whatever
        // deletes or replaces the entry after this call.
        let fd: number;
        try {
          fd = openSync(path, 'r');
          const { size } = fstatSync(fd);
          if (size !== meta.bodySize) {
            closeSync(fd);
            throw new Error(`${path} holds ${size} bytes, not the ${meta.bodySize} the index records`);
          }
        } catch (err) {
          // A body file lost or cut short (a crash, a hand-cleaned directory): the entry is dropped.
          this.#warn('body', err);
          this.#deleteIdsQuietly([row.id]);
          return failedStream(new CacheStoreError(`The cached body of ${meta.primaryKey} cannot be read`, { file: row.file }, { cause: err }));
        }
        if (meta.bodySize === 0) {
          closeSync(fd);
          return Readable.from([], { objectMode: false });
        }
        return createReadStream(path, { fd, start: bytes?.start ?? 0, end: bytes?.end ?? meta.bodySize - 1 });
      },
    };
  }

  /** Streams the body into `tmpPath`; its size, or undefined (and no file) when it is not to be stored. */
  async #writeBody(tmpPath: string, body: AsyncIterable<Uint8Array>): Promise<number | undefined> {
    let handle: FileHandle | undefined;
    let size = 0;
    let complete = false;
    try {
      handle = await open(tmpPath, 'wx');
      const file = handle;
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      let writeError: unknown;
      // Marks a failed write, told apart from an error of the body's own iterable below.
      const write = (bytes: Uint8Array) => writeFully(file, bytes).catch((err: unknown) => {
        writeError = err;
        throw err;
      });
      try {
        for await (const chunk of body) {
          size += chunk.byteLength;
          // Leaving the loop calls the iterator's return(): no more of the body is pulled.
          if (size > this.#maxObjectSizeBytes) return undefined;
          batch.push(chunk);
          batchBytes += chunk.byteLength;
          if (batchBytes >= WRITE_BATCH_BYTES) {
            await write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, batchBytes));
            batch = [];
            batchBytes = 0;
          }
        }
      } catch (err) {
        // An origin body that broke off is not the store's failure: nothing to log. A write
        // that failed (a full disk) is.
        if (err === writeError) this.#warn('put', err);
        return undefined;
      }
      if (batchBytes > 0) await writeFully(handle, Buffer.concat(batch, batchBytes));
      complete = true;
      return size;
    } catch (err) {
      this.#warn('put', err);
      return undefined;
    } finally {
      await handle?.close().catch(() => undefined);
      if (!complete) await rm(tmpPath, { force: true }).catch(() => undefined);
    }
  }

  /** Runs each batch query until it deletes less than a full batch; resolves the live entries deleted. */
  async #purge(operation: string, batches: readonly ((now: number) => { files: string[]; live: number; count: number })[]): Promise<number> {
    this.#assertOpen(operation);
    let live = 0;
    try {
      this.#index.bumpPurgeEpoch();
      for (const batch of batches) {
        for (;;) {
          const result = batch(Date.now());
          this.#unlinkLater(result.files);
          live += result.live;
          if (result.count < PURGE_BATCH_ROWS) break;
          // Between batches this process serves, and other processes get the index's write lock.
          await setImmediate();
        }
      }
    } catch (err) {
      throw this.#failure(operation, err);
    }
    return live;
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw new CacheStoreError(`The disk cache in ${this.#dir} is closed`, { dir: this.#dir, operation });
  }

  /** A delete or purge that did not happen must not look like one that found nothing. */
  #failure(operation: string, err: unknown): CacheStoreError {
    return new CacheStoreError(`The disk cache in ${this.#dir} could not ${operation}: ${(err as Error).message}`, { dir: this.#dir, operation }, { cause: err });
  }

  #recordAccess(id: number): void {
    this.#accesses.set(id, accessClock());
    // Reads are written to the index in batches: a write transaction per cache hit would make
    // every hit wait for the index's write lock.
    this.#accessTimer ??= setTimeout(() => this.#flushAccesses(), ACCESS_FLUSH_MS).unref();
  }

  #flushAccesses(): void {
    clearTimeout(this.#accessTimer);
    this.#accessTimer = undefined;
    if (this.#closed || this.#accesses.size === 0) return;
    try {
      this.#unlinkLater(this.#index.touchAndEvict(this.#accesses, this.#maxSizeBytes));
    } catch (err) {
      this.#warn('recordAccess', err);
    }
    this.#accesses.clear();
  }

  /** Deletes expired entries and evicts past maxSizeBytes (other processes' puts count too). */
  #sweep(): void {
    if (this.#closed) return;
    try {
      const now = Date.now();
      // In batches, so one sweep never holds the write lock for long.
      for (let batch = 0; batch < 10; batch++) {
        const files = this.#index.deleteExpired(now, 500);
        this.#unlinkLater(files);
        if (files.length < 500) break;
      }
      this.#unlinkLater(this.#index.touchAndEvict(this.#accesses, this.#maxSizeBytes));
      this.#accesses.clear();
    } catch (err) {
      this.#warn('sweep', err);
    }
  }

  #deleteIdsQuietly(ids: readonly number[]): void {
    if (ids.length === 0 || this.#closed) return;
    try {
      this.#unlinkLater(this.#index.deleteIds(ids));
    } catch (err) {
      // Left for the next reader or the sweep.
      this.#warn('expire', err);
    }
  }

  #unlinkLater(files: readonly string[]): void {
    if (files.length > 0) this.#unlinks.add(files.map((file) => join(this.#bodiesDir, file)));
  }

  /** Deletes body and temporary files that no index row names and that nothing wrote for ORPHAN_AGE_MS. */
  async #sweepOrphans(): Promise<void> {
    try {
      const cutoffMs = Date.now() - ORPHAN_AGE_MS;
      const referenced = this.#index.files();
      const candidates = (await readdir(this.#tmpDir)).map((name) => join(this.#tmpDir, name));
      for (const shard of await readdir(this.#bodiesDir)) {
        for (const name of await readdir(join(this.#bodiesDir, shard)).catch(() => [])) {
          if (!referenced.has(`${shard}/${name}`)) candidates.push(join(this.#bodiesDir, shard, name));
        }
      }
      for (const candidate of candidates) {
        if (this.#closed) break;
        // Young files may be a put of another process between its rename and its index row.
        const info = await stat(candidate).catch(() => undefined);
        if (info !== undefined && info.mtimeMs < cutoffMs) await rm(candidate, { force: true, recursive: true }).catch(() => undefined);
      }
    } catch (err) {
      this.#warn('sweep', err);
    }
  }

  #warn(operation: string, err: unknown): void {
    this.#logger?.warn(
      { type: 'cache-store-failed', code: 'VERGE_ERR_CACHE_STORE', store: 'disk', dir: this.#dir, operation, err: (err as Error).message },
      `The disk cache could not ${operation}: ${(err as Error).message}`,
    );
  }
}

/**
 * Opens the index; an index that cannot be used (corrupt, truncated, another schema, unreadable) is
 * moved aside with a warning and the store starts empty: a cache that loses its entries only costs
 * origin requests, and the body files no row names are deleted by the orphan sweep.
 */
function openIndex(file: string, dir: string, logger: Logger | undefined): DiskCacheIndex {
  const inode = DiskCacheIndex.inodeOf(file);
  try {
    return new DiskCacheIndex(file);
  } catch (err) {
    if (!(err instanceof UnusableIndexError)) throw new CacheStoreError(`The disk cache index ${file} cannot be opened: ${(err as Error).message}`, { dir }, { cause: err });
    const movedTo = DiskCacheIndex.moveAside(file, inode);
    logger?.warn(
      { type: 'cache-index-reset', code: 'VERGE_ERR_CACHE_STORE', store: 'disk', dir, file, movedTo: movedTo ?? null, err: err.message },
      `The disk cache index ${file} could not be used (${err.message}); the cache starts empty`,
    );
  }
  try {
    return new DiskCacheIndex(file);
  } catch (err) {
    throw new CacheStoreError(`The disk cache index ${file} cannot be created: ${(err as Error).message}`, { dir }, { cause: err });
  }
}

function parseMeta(row: IndexRow): CacheEntryMeta | undefined {
  try {
    const stored = JSON.parse(row.meta) as StoredMeta;
    return {
      primaryKey: row.primary_key,
      variantKey: row.variant_key,
      path: row.path,
      tags: stored.tags,
      status: stored.status,
      statusText: stored.statusText,
      headers: stored.headers,
      policy: stored.policy,
      storedAtMs: stored.storedAtMs,
      expiresAtMs: row.expires_at_ms,
      bodySize: row.body_size,
    };
  } catch {
    return undefined;
  }
}

function entrySizeBytes(keys: Pick<CacheEntryMeta, 'primaryKey' | 'variantKey' | 'path'>, metaJson: string, file: string, bodySize: number): number {
  return bodySize + metaJson.length + keys.primaryKey.length + keys.variantKey.length + keys.path.length + file.length + ENTRY_OVERHEAD_BYTES;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

function failedStream(err: Error): Readable {
  return new Readable({
    read() {
      this.destroy(err);
    },
  });
}

let lastAccessMs = 0;

/** Fractional ms since the epoch, strictly increasing within the process: reads in one ms stay in order. */
function accessClock(): number {
  const now = performance.timeOrigin + performance.now();
  lastAccessMs = now > lastAccessMs ? now : lastAccessMs + 0.001;
  return lastAccessMs;
}
