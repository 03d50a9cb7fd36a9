import { renameSync, statSync, unlinkSync } from 'node:fs';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { CacheStoreStats } from './cache-store.ts';
import { type InvalidationPath, prefixUpperBound } from './invalidation-path.ts';

/**
 * The disk store's index: one SQLite database (node:sqlite) beside the body files, shared by every
 * worker process that opens the directory. SQLite's locking makes the processes' writes safe;
 * WAL mode lets readers go on while one process writes (https://sqlite.org/wal.html).
 *
 * Every call is synchronous (DatabaseSync) and short: one indexed statement, or one small
 * transaction. A write that meets another process's write waits up to BUSY_TIMEOUT_MS (SQLite's
 * busy handler), then throws SQLITE_BUSY, which the store reports as a failed operation.
 */
const SCHEMA_VERSION = 1;
/** At open, other workers may be creating the schema or switching to WAL at the same moment. */
const OPEN_BUSY_TIMEOUT_MS = 10_000;
/**
 * Afterwards a wait blocks this worker's event loop (DatabaseSync is synchronous), so it is kept
 * short: every write transaction is small (batched purges, capped eviction), and a write that
 * still cannot get the lock fails: a response not stored, a purge reported as failed.
 */
const BUSY_TIMEOUT_MS = 1_000;
const MAX_EVICTIONS_PER_TRANSACTION = 1_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS entries (
  -- A new id for every put: variants() lists them newest first, and a row replaced by another
  -- process is never mistaken for the one a reader saw.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  primary_key TEXT NOT NULL,
  variant_key TEXT NOT NULL,
  path TEXT NOT NULL,
  -- status, statusText, headers, policy, storedAtMs, tags (JSON).
  meta TEXT NOT NULL,
  -- The body file, relative to the bodies directory.
  file TEXT NOT NULL,
  body_size INTEGER NOT NULL,
  -- What the entry counts against maxSizeBytes.
  size_bytes INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL,
  -- Fractional ms since the epoch: strictly increasing within a process, so LRU order is exact.
  last_access_ms REAL NOT NULL,
  UNIQUE (primary_key, variant_key)
);
CREATE INDEX IF NOT EXISTS entries_path ON entries (path);
CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at_ms);
CREATE INDEX IF NOT EXISTS entries_access ON entries (last_access_ms);
-- One row per (tag, entry): purgeTags is an indexed lookup.
CREATE TABLE IF NOT EXISTS tags (
  tag TEXT NOT NULL,
  entry_id INTEGER NOT NULL,
  PRIMARY KEY (tag, entry_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_entry ON tags (entry_id);
-- Running totals kept by triggers, so stats() is one row read that is right across processes;
-- purge_epoch counts purges (a put that was filling during one is refused).
CREATE TABLE IF NOT EXISTS totals (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  entries INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  purge_epoch INTEGER NOT NULL
);
INSERT OR IGNORE INTO totals VALUES (0, 0, 0, 0);
CREATE TRIGGER IF NOT EXISTS entries_inserted AFTER INSERT ON entries BEGIN
  UPDATE totals SET entries = entries + 1, size_bytes = size_bytes + NEW.size_bytes WHERE id = 0;
END;
CREATE TRIGGER IF NOT EXISTS entries_deleted AFTER DELETE ON entries BEGIN
  UPDATE totals SET entries = entries - 1, size_bytes = size_bytes - OLD.size_bytes WHERE id = 0;
  DELETE FROM tags WHERE entry_id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS entries_resized AFTER UPDATE OF size_bytes ON entries BEGIN
  UPDATE totals SET size_bytes = size_bytes - OLD.size_bytes + NEW.size_bytes WHERE id = 0;
END;
`;

export interface IndexRow {
  readonly id: number;
  readonly primary_key: string;
  readonly variant_key: string;
  readonly path: string;
  readonly meta: string;
  readonly file: string;
  readonly body_size: number;
  readonly expires_at_ms: number;
}

export interface NewIndexRow {
  readonly primaryKey: string;
  readonly variantKey: string;
  readonly path: string;
  readonly meta: string;
  readonly file: string;
  readonly bodySize: number;
  readonly sizeBytes: number;
  readonly expiresAtMs: number;
  readonly tags: readonly string[];
}

/** Rows a statement deleted: their body files (to unlink) and how many had not expired yet. */
export interface Deleted {
  readonly files: string[];
  readonly live: number;
}

interface DeletedRow {
  readonly file: string;
  readonly expires_at_ms: number;
}

/** Why an index file could not be used, for the store's warning before it starts empty. */
export class UnusableIndexError extends Error {}

export class DiskCacheIndex {
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  /**
   * Opens (creating if needed) the index at `file`. Throws UnusableIndexError when the file is
   * not a database of ours (corrupt, truncated, another schema) or cannot be opened.
   */
  constructor(file: string) {
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(file, { timeout: OPEN_BUSY_TIMEOUT_MS });
      // WAL lets the workers read while one writes; NORMAL sync keeps the index consistent on a
      // crash and loses at most the last writes on power loss, which a cache may.
      setWalMode(db);
      db.exec('PRAGMA synchronous = NORMAL');
      const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
      if (version !== 0 && version !== SCHEMA_VERSION) throw new UnusableIndexError(`index schema version ${version}, expected ${SCHEMA_VERSION}`);
      db.exec('BEGIN IMMEDIATE');
      try {
        db.exec(SCHEMA);
        db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
        db.exec('COMMIT');
      } catch (err) {
        db.exec('ROLLBACK');
        throw err;
      }
      // A file SQLite opens lazily shows most corruption only when pages are read.
      const check = db.prepare('PRAGMA quick_check(1)').get() as Record<string, string>;
      if (Object.values(check)[0] !== 'ok') throw new UnusableIndexError(`index failed its integrity check: ${Object.values(check)[0]}`);
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // Closing a connection that never opened; the error below says why.
      }
      if (err instanceof UnusableIndexError) throw err;
      // Any SQLite error but a lock held too long means the file is unusable (SQLITE_NOTADB,
      // SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_IOERR, …); a busy database is someone else's.
      if (isBusy(err)) throw err;
      throw new UnusableIndexError((err as Error).message, { cause: err });
    }
    this.#db = db;
  }

  /**
   * Moves an unusable index (and its WAL files) aside, so the next open starts empty, unless the
   * file at that path is no longer the one that failed: another worker process got there first and
   * may already have made a new index, which must not be moved away from under it.
   */
  static moveAside(file: string, failedInode: number | undefined): string | undefined {
    if (failedInode !== undefined && inodeOf(file) !== failedInode) return undefined;
    const aside = `${file}.unusable-${Date.now()}`;
    for (const suffix of ['', '-wal', '-shm']) {
      try {
        renameSync(file + suffix, aside + suffix);
      } catch {
        try {
          unlinkSync(file + suffix);
        } catch {
          // Already gone.
        }
      }
    }
    return aside;
  }

  static inodeOf(file: string): number | undefined {
    return inodeOf(file);
  }

  variants(primaryKey: string): IndexRow[] {
    return this.#all<IndexRow>(
      'SELECT id, primary_key, variant_key, path, meta, file, body_size, expires_at_ms FROM entries WHERE primary_key = ? ORDER BY id DESC',
      primaryKey,
    );
  }

  purgeEpoch(): number {
    return (this.#get<{ purge_epoch: number }>('SELECT purge_epoch FROM totals WHERE id = 0')).purge_epoch;
  }

  /**
   * Inserts a row in place of the one with the same keys, then evicts least recently used rows past
   * maxSizeBytes, in one transaction. Refused (stored: false) when a purge ran since `epoch`, or
   * when eviction had to take the new row itself.
   */
  insert(row: NewIndexRow, epoch: number, accessMs: number, maxSizeBytes: number, accesses: ReadonlyMap<number, number>): { stored: boolean; files: string[] } {
    return this.#transaction(() => {
      if (this.purgeEpoch() !== epoch) return { stored: false, files: [] };
      this.#touch(accesses);
      const replaced = this.#all<DeletedRow>(
        'DELETE FROM entries WHERE primary_key = ? AND variant_key = ? RETURNING file, expires_at_ms',
        row.primaryKey,
        row.variantKey,
      );
      const { lastInsertRowid } = this.#run(
        'INSERT INTO entries (primary_key, variant_key, path, meta, file, body_size, size_bytes, expires_at_ms, last_access_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        row.primaryKey, row.variantKey, row.path, row.meta, row.file, row.bodySize, row.sizeBytes, row.expiresAtMs, accessMs,
      );
      const id = Number(lastInsertRowid);
      this.#addTags(id, row.tags);
      const evicted = this.#evict(maxSizeBytes);
      const stored = !evicted.ids.includes(id);
      return { stored, files: [...replaced.map((r) => r.file), ...evicted.files.filter((f) => f !== row.file)] };
    });
  }

  /** Replaces a live row's meta, expiry and tags; false when there is none. */
  updateMeta(
    primaryKey: string,
    variantKey: string,
    meta: (row: Pick<IndexRow, 'meta' | 'path' | 'file' | 'body_size'>) => { meta: string; sizeBytes: number },
    expiresAtMs: number,
    tags: readonly string[],
    now: number,
    accessMs: number,
  ): boolean {
    return this.#transaction(() => {
      const row = this.#get<Pick<IndexRow, 'id' | 'meta' | 'path' | 'file' | 'body_size'> | undefined>(
        'SELECT id, meta, path, file, body_size FROM entries WHERE primary_key = ? AND variant_key = ? AND expires_at_ms > ?',
        primaryKey, variantKey, now,
      );
      if (row === undefined) return false;
      const next = meta(row);
      this.#run('UPDATE entries SET meta = ?, size_bytes = ?, expires_at_ms = ?, last_access_ms = ? WHERE id = ?', next.meta, next.sizeBytes, expiresAtMs, accessMs, row.id);
      this.#run('DELETE FROM tags WHERE entry_id = ?', row.id);
      this.#addTags(row.id, tags);
      return true;
    });
  }

  delete(primaryKey: string, variantKey: string | undefined, now: number): Deleted {
    const rows =
      variantKey === undefined
        ? this.#all<DeletedRow>('DELETE FROM entries WHERE primary_key = ? RETURNING file, expires_at_ms', primaryKey)
        : this.#all<DeletedRow>('DELETE FROM entries WHERE primary_key = ? AND variant_key = ? RETURNING file, expires_at_ms', primaryKey, variantKey);
    return deleted(rows, now);
  }

  /** Deletes rows by id (expired ones a reader came across, or a body file found broken). */
  deleteIds(ids: readonly number[]): string[] {
    if (ids.length === 0) return [];
    return this.#all<DeletedRow>('DELETE FROM entries WHERE id IN (SELECT value FROM json_each(?)) RETURNING file, expires_at_ms', JSON.stringify(ids)).map((r) => r.file);
  }

  /** Counts a purge: a put that began filling before this is refused (see insert). */
  bumpPurgeEpoch(): void {
    this.#run('UPDATE totals SET purge_epoch = purge_epoch + 1 WHERE id = 0');
  }

  /**
   * Deletes up to `limit` rows whose path matches. A purge goes in batches so that no transaction
   * holds the write lock long: other processes' writes wait for it, and they wait synchronously.
   */
  purgePathBatch(pattern: InvalidationPath, now: number, limit: number): Deleted & { readonly count: number } {
    if (pattern.kind === 'exact') {
      return deletedBatch(this.#all<DeletedRow>(`DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE path = ? LIMIT ?) ${RETURNING}`, pattern.path, limit), now);
    }
    // A range on the path index instead of LIKE: nothing in the path is a wildcard, and the range
    // uses the index whatever case_sensitive_like says.
    const upper = prefixUpperBound(pattern.prefix);
    const rows =
      upper === undefined
        ? this.#all<DeletedRow>(`DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE path >= ? LIMIT ?) ${RETURNING}`, pattern.prefix, limit)
        : this.#all<DeletedRow>(`DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE path >= ? AND path < ? LIMIT ?) ${RETURNING}`, pattern.prefix, upper, limit);
    return deletedBatch(rows, now);
  }

  /** Deletes up to `limit` rows carrying one of the tags. */
  purgeTagBatch(tags: readonly string[], now: number, limit: number): Deleted & { readonly count: number } {
    return deletedBatch(
      this.#all<DeletedRow>(
        `DELETE FROM entries WHERE id IN (SELECT DISTINCT entry_id FROM tags WHERE tag IN (SELECT value FROM json_each(?)) LIMIT ?) ${RETURNING}`,
        JSON.stringify(tags),
        limit,
      ),
      now,
    );
  }

  /** Deletes up to `limit` expired rows; returns their files. */
  deleteExpired(now: number, limit: number): string[] {
    return this.#all<DeletedRow>(
      'DELETE FROM entries WHERE id IN (SELECT id FROM entries WHERE expires_at_ms <= ? LIMIT ?) RETURNING file, expires_at_ms',
      now,
      limit,
    ).map((r) => r.file);
  }

  /** Records reads (entry id → access time) and evicts past maxSizeBytes, in one transaction. */
  touchAndEvict(accesses: ReadonlyMap<number, number>, maxSizeBytes: number): string[] {
    return this.#transaction(() => {
      this.#touch(accesses);
      return this.#evict(maxSizeBytes).files;
    });
  }

  totals(): CacheStoreStats {
    const row = this.#get<{ entries: number; size_bytes: number }>('SELECT entries, size_bytes FROM totals WHERE id = 0');
    return { entries: row.entries, sizeBytes: row.size_bytes };
  }

  /** Every body file the index refers to (for the sweep of files no row refers to). */
  files(): Set<string> {
    return new Set(this.#all<{ file: string }>('SELECT file FROM entries').map((r) => r.file));
  }

  close(): void {
    this.#db.close();
  }

  #touch(accesses: ReadonlyMap<number, number>): void {
    for (const [id, accessMs] of accesses) this.#run('UPDATE entries SET last_access_ms = ? WHERE id = ? AND last_access_ms < ?', accessMs, id, accessMs);
  }

  #evict(maxSizeBytes: number): { ids: number[]; files: string[] } {
    const ids: number[] = [];
    const files: string[] = [];
    let { sizeBytes } = this.totals();
    // Capped per transaction (see purgePathBatch); a store far over its bound (maxSizeMb lowered
    // across a restart) shrinks over the next puts and sweeps.
    while (sizeBytes > maxSizeBytes && ids.length < MAX_EVICTIONS_PER_TRANSACTION) {
      const victims = this.#all<{ id: number; file: string; size_bytes: number }>(
        'SELECT id, file, size_bytes FROM entries ORDER BY last_access_ms, id LIMIT 32',
      );
      if (victims.length === 0) break;
      for (const v of victims) {
        this.#run('DELETE FROM entries WHERE id = ?', v.id);
        ids.push(v.id);
        files.push(v.file);
        sizeBytes -= v.size_bytes;
        if (sizeBytes <= maxSizeBytes) break;
      }
    }
    return { ids, files };
  }

  #addTags(id: number, tags: readonly string[]): void {
    for (const tag of new Set(tags)) this.#run('INSERT INTO tags (tag, entry_id) VALUES (?, ?)', tag, id);
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read lock. */
  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) this.#statements.set(sql, (statement = this.#db.prepare(sql)));
    return statement;
  }

  #all<T>(sql: string, ...params: (string | number)[]): T[] {
    return this.#statement(sql).all(...params) as T[];
  }

  #get<T>(sql: string, ...params: (string | number)[]): T {
    return this.#statement(sql).get(...params) as T;
  }

  #run(sql: string, ...params: (string | number)[]): { lastInsertRowid: number | bigint } {
    return this.#statement(sql).run(...params);
  }
}

const RETURNING = 'RETURNING file, expires_at_ms';

function deleted(rows: readonly DeletedRow[], now: number): Deleted {
  return { files: rows.map((r) => r.file), live: rows.filter((r) => r.expires_at_ms > now).length };
}

function deletedBatch(rows: readonly DeletedRow[], now: number): Deleted & { readonly count: number } {
  return { ...deleted(rows, now), count: rows.length };
}

function setWalMode(db: DatabaseSync): void {
  // Switching a new database to WAL needs a moment with no other connection reading; WAL is then
  // recorded in the file, so a worker that opens it after the first one finds it already set.
  for (let attempt = 0; attempt < 5; attempt++) {
    const { journal_mode: mode } = db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string };
    if (mode === 'wal') return;
  }
}

function isBusy(err: unknown): boolean {
  const errcode = (err as { errcode?: unknown }).errcode;
  // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
  return typeof errcode === 'number' && ((errcode & 0xff) === 5 || (errcode & 0xff) === 6);
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}
