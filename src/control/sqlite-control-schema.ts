import type { DatabaseSync } from 'node:sqlite';
import { ControlStoreError } from '../errors/control-errors.ts';

/**
 * The SQLite control store's schema, as numbered migrations: migration i brings a database from
 * version i to i + 1. `schema_version` records each applied migration, so a later Verge appends a
 * migration and an older file is brought forward at open; a file from a newer Verge is refused.
 *
 * Code bundles are rows of `code_blobs`, not files beside the database: a version and its code are
 * then written in one transaction (no half-written bundle named by a version after a crash), the
 * whole control plane is one file to back up or move, and SQLite stores blobs of a few MB
 * efficiently (https://sqlite.org/intern-v-extern-blob.html: internal blobs are as fast up to ~100 KB
 * and fine beyond for write-rarely data). Blobs are never deleted: versions are immutable.
 *
 * JSON columns (settings, config, plan, state, …) are TEXT checked with json_valid, as PostgreSQL's
 * jsonb would be; settings are written as canonical JSON (canonical-json.ts).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE code_blobs (
    sha256 TEXT PRIMARY KEY,
    size_bytes INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE functions (
    name TEXT PRIMARY KEY,
    settings TEXT NOT NULL CHECK (json_valid(settings)),
    code_sha256 TEXT NOT NULL REFERENCES code_blobs (sha256),
    code_size_bytes INTEGER NOT NULL,
    code_format TEXT NOT NULL,
    code_file_name TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    -- The last version number given out: numbers are never reused while the function exists.
    last_version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE function_versions (
    function_name TEXT NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    settings TEXT NOT NULL CHECK (json_valid(settings)),
    code_sha256 TEXT NOT NULL REFERENCES code_blobs (sha256),
    code_size_bytes INTEGER NOT NULL,
    code_format TEXT NOT NULL,
    code_file_name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (function_name, version)
  );
  CREATE TABLE aliases (
    function_name TEXT NOT NULL REFERENCES functions (name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    function_version INTEGER NOT NULL,
    additional_version_weights TEXT NOT NULL CHECK (json_valid(additional_version_weights)),
    description TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (function_name, name),
    FOREIGN KEY (function_name, function_version) REFERENCES function_versions (function_name, version)
  );
  CREATE TABLE distributions (
    distribution_id TEXT PRIMARY KEY,
    latest_revision INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE distribution_revisions (
    distribution_id TEXT NOT NULL REFERENCES distributions (distribution_id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    config TEXT NOT NULL CHECK (json_valid(config)),
    comment TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (distribution_id, revision)
  );
  CREATE TABLE locations (
    name TEXT PRIMARY KEY,
    url TEXT,
    registered_at TEXT NOT NULL,
    last_heartbeat_at TEXT,
    distribution_id TEXT,
    serving_revision INTEGER NOT NULL DEFAULT 0,
    serving_generation INTEGER NOT NULL DEFAULT 0,
    desired_revision INTEGER NOT NULL DEFAULT 0,
    desired_generation INTEGER NOT NULL DEFAULT 0,
    desired_document TEXT CHECK (desired_document IS NULL OR json_valid(desired_document))
  );
  CREATE TABLE location_health (
    location TEXT NOT NULL REFERENCES locations (name) ON DELETE CASCADE,
    key TEXT NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    p99_ms REAL NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (location, key)
  );
  CREATE TABLE deployments (
    -- Creation order, for listing; ids are random.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    distribution_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    previous_revision INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('InProgress', 'Succeeded', 'RolledBack', 'Aborted', 'Failed')),
    plan TEXT NOT NULL CHECK (json_valid(plan)),
    state TEXT NOT NULL CHECK (json_valid(state)),
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (distribution_id, revision) REFERENCES distribution_revisions (distribution_id, revision)
  );
  CREATE INDEX deployments_by_distribution ON deployments (distribution_id, seq);
  CREATE TABLE deployment_events (
    deployment_seq INTEGER NOT NULL REFERENCES deployments (seq) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT CHECK (data IS NULL OR json_valid(data)),
    PRIMARY KEY (deployment_seq, seq)
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates or migrates the schema in one transaction (BEGIN IMMEDIATE: a second process opening the
 * same file waits instead of migrating twice). Throws ControlStoreError when the file holds another
 * program's tables or a newer schema.
 */
export function migrateControlSchema(db: DatabaseSync, file: string): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    const hasVersions = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).get() !== undefined;
    let version = 0;
    if (hasVersions) {
      version = (db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_version').get() as { v: number }).v;
    } else {
      const other = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1`).get() as { name: string } | undefined;
      if (other !== undefined) {
        throw new ControlStoreError(`${file} is a SQLite database but not a Verge control store (it has a table "${other.name}" and no schema_version)`, { file });
      }
      db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    }
    if (version > SCHEMA_VERSION) {
      throw new ControlStoreError(`The control store ${file} has schema version ${version}, newer than this Verge's ${SCHEMA_VERSION}: it was written by a newer Verge`, { file, version, supported: SCHEMA_VERSION });
    }
    const record = db.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)');
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      record.run(v + 1, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
