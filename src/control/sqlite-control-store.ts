import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  aliasNotFound,
  ControlConflictError,
  ControlNotFoundError,
  ControlStoreError,
  deploymentNotFound,
  distributionNotFound,
  functionNotFound,
  locationNotFound,
  revisionNotFound,
  staleRevisionId,
  versionNotFound,
} from '../errors/control-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import { validateAliasRouting } from './alias-routing.ts';
import { canonicalJson } from './canonical-json.ts';
import type {
  Alias,
  ControlStore,
  Deployment,
  DeploymentEvent,
  DeploymentStatus,
  DistributionRevision,
  FunctionRecord,
  FunctionSettings,
  FunctionVersion,
  LocationRecord,
  VersionHealthSample,
} from './control-store.ts';
import type { CodeRef } from './revision-document.ts';
import { migrateControlSchema } from './sqlite-control-schema.ts';
import { type Row, toAlias, toDeployment, toFunction, toLocation, toRevision, toVersion } from './sqlite-control-rows.ts';

/**
 * Waits for another connection's write lock before giving up with VERGE_ERR_CONTROL_STORE. Every
 * transaction here is a few statements, so a lock is held for milliseconds; a wait blocks the event
 * loop (DatabaseSync is synchronous), which a control plane's rare writes can afford.
 */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded control store: one SQLite file (node:sqlite), or ':memory:'. WAL journal (readers
 * never wait for the writer, https://sqlite.org/wal.html), synchronous=FULL (a write acknowledged
 * to an operator survives a power loss; control-plane writes are rare), foreign keys on.
 *
 * Each method is one short transaction run synchronously to its end; the methods are async only so
 * that a PostgreSQL store can implement the same interface. Numbers (versions, revisions,
 * generations) are assigned inside BEGIN IMMEDIATE, which takes the write lock first: two
 * connections to one file cannot read the same "last number".
 */
export class SqliteControlStore implements ControlStore {
  readonly kind = 'sqlite';
  readonly file: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;

  /** Opens (creating and migrating if needed) the store at `file`. Throws ControlStoreError when it cannot be used. */
  constructor(file: string) {
    this.file = file;
    let db: DatabaseSync | undefined;
    try {
      if (file !== ':memory:' && !file.startsWith('file:')) mkdirSync(dirname(file), { recursive: true });
      db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
      db.exec('PRAGMA foreign_keys = ON');
      if (file !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      migrateControlSchema(db, file);
    } catch (err) {
      try {
        db?.close();
      } catch {
        // A connection that never opened; the error below says why.
      }
      if (err instanceof ControlStoreError) throw err;
      throw new ControlStoreError(`Cannot open the control store ${file}: ${messageOf(err)}`, { file, errcode: errcodeOf(err) }, { cause: err });
    }
    this.#db = db;
  }

  // Code bundles.

  async putCode(bytes: Uint8Array): Promise<{ sha256: string; sizeBytes: number }> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.#write('put code', () => {
      this.#run('INSERT INTO code_blobs (sha256, size_bytes, bytes, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING', sha256, bytes.byteLength, bytes, now());
      return { sha256, sizeBytes: bytes.byteLength };
    });
  }

  async getCode(sha256: string): Promise<Uint8Array | undefined> {
    return this.#read('get code', () => {
      const row = this.#get('SELECT bytes FROM code_blobs WHERE sha256 = ?', sha256);
      return row === undefined ? undefined : new Uint8Array(row.bytes as Uint8Array);
    });
  }

  // Functions and $LATEST.

  async createFunction(name: string, settings: FunctionSettings, code: CodeRef): Promise<FunctionRecord> {
    return this.#write('create function', () => {
      if (this.#get('SELECT 1 FROM functions WHERE name = ?', name) !== undefined) throw new ControlConflictError(`function "${name}" already exists`, { functionName: name });
      this.#requireCode(code);
      const at = now();
      this.#run(
        `INSERT INTO functions (name, settings, code_sha256, code_size_bytes, code_format, code_file_name, revision_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        name, canonicalJson(settings), code.sha256, code.sizeBytes, code.format, code.fileName, randomUUID(), at, at,
      );
      return this.#function(name);
    });
  }

  async getFunction(name: string): Promise<FunctionRecord> {
    return this.#read('get function', () => this.#function(name));
  }

  async listFunctions(): Promise<FunctionRecord[]> {
    return this.#read('list functions', () => this.#all('SELECT * FROM functions ORDER BY name').map(toFunction));
  }

  async updateFunctionCode(name: string, code: CodeRef, expectedRevisionId?: string): Promise<FunctionRecord> {
    return this.#write('update function code', () => {
      this.#expectFunctionRevision(name, expectedRevisionId);
      this.#requireCode(code);
      this.#run(
        'UPDATE functions SET code_sha256 = ?, code_size_bytes = ?, code_format = ?, code_file_name = ?, revision_id = ?, updated_at = ? WHERE name = ?',
        code.sha256, code.sizeBytes, code.format, code.fileName, randomUUID(), now(), name,
      );
      return this.#function(name);
    });
  }

  async updateFunctionSettings(name: string, patch: Partial<FunctionSettings>, expectedRevisionId?: string): Promise<FunctionRecord> {
    return this.#write('update function settings', () => {
      const current = this.#expectFunctionRevision(name, expectedRevisionId);
      const settings = { ...current.settings, ...definedEntries(patch) };
      this.#run('UPDATE functions SET settings = ?, revision_id = ?, updated_at = ? WHERE name = ?', canonicalJson(settings), randomUUID(), now(), name);
      return this.#function(name);
    });
  }

  async deleteFunction(name: string): Promise<void> {
    return this.#write('delete function', () => {
      // Versions and aliases go with it (ON DELETE CASCADE); code blobs stay, content-addressed.
      const { changes } = this.#run('DELETE FROM functions WHERE name = ?', name);
      if (changes === 0) throw functionNotFound(name);
    });
  }

  // Versions.

  async publishVersion(name: string, description: string, expectedRevisionId?: string): Promise<FunctionVersion> {
    return this.#write('publish version', () => {
      this.#expectFunctionRevision(name, expectedRevisionId);
      const fn = this.#get('SELECT * FROM functions WHERE name = ?', name)!;
      const newest = this.#get('SELECT * FROM function_versions WHERE function_name = ? ORDER BY version DESC LIMIT 1', name);
      // Lambda's PublishVersion: "Lambda doesn't publish a version if the function's configuration
      // and code haven't changed since the last version" — it returns that version. The whole code
      // reference counts: the same bytes as `index.mjs` and as `index.cjs` load differently.
      if (
        newest !== undefined &&
        newest.settings === fn.settings &&
        newest.code_sha256 === fn.code_sha256 &&
        newest.code_format === fn.code_format &&
        newest.code_file_name === fn.code_file_name
      ) {
        return toVersion(newest);
      }
      const version = (fn.last_version as number) + 1;
      const settings = JSON.parse(fn.settings as string) as FunctionSettings;
      this.#run('UPDATE functions SET last_version = ? WHERE name = ?', version, name);
      this.#run(
        `INSERT INTO function_versions (function_name, version, settings, code_sha256, code_size_bytes, code_format, code_file_name, description, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        name, version, fn.settings, fn.code_sha256, fn.code_size_bytes, fn.code_format, fn.code_file_name, description || settings.description, now(),
      );
      return this.#version(name, version);
    });
  }

  async getVersion(name: string, version: number): Promise<FunctionVersion> {
    return this.#read('get version', () => {
      this.#function(name);
      return this.#version(name, version);
    });
  }

  async listVersions(name: string): Promise<FunctionVersion[]> {
    return this.#read('list versions', () => {
      this.#function(name);
      return this.#all('SELECT * FROM function_versions WHERE function_name = ? ORDER BY version', name).map(toVersion);
    });
  }

  // Aliases.

  async createAlias(
    functionName: string,
    alias: { name: string; functionVersion: number; additionalVersionWeights?: Record<string, number>; description?: string },
  ): Promise<Alias> {
    return this.#write('create alias', () => {
      this.#function(functionName);
      const weights = { ...(alias.additionalVersionWeights ?? {}) };
      this.#validateRouting(functionName, alias.name, alias.functionVersion, weights);
      if (this.#get('SELECT 1 FROM aliases WHERE function_name = ? AND name = ?', functionName, alias.name) !== undefined) {
        throw new ControlConflictError(`function "${functionName}" already has an alias "${alias.name}"`, { functionName, alias: alias.name });
      }
      const at = now();
      this.#run(
        `INSERT INTO aliases (function_name, name, function_version, additional_version_weights, description, revision_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        functionName, alias.name, alias.functionVersion, JSON.stringify(weights), alias.description ?? '', randomUUID(), at, at,
      );
      return this.#alias(functionName, alias.name);
    });
  }

  async updateAlias(
    functionName: string,
    name: string,
    patch: { functionVersion?: number; additionalVersionWeights?: Record<string, number>; description?: string },
    expectedRevisionId?: string,
  ): Promise<Alias> {
    return this.#write('update alias', () => {
      this.#function(functionName);
      const current = this.#alias(functionName, name);
      if (expectedRevisionId !== undefined && expectedRevisionId !== current.revisionId) {
        throw staleRevisionId(`alias "${name}" of function "${functionName}"`, expectedRevisionId, current.revisionId);
      }
      // Like Lambda's UpdateAlias, a field left out keeps its value; `{}` clears the weights.
      const functionVersion = patch.functionVersion ?? current.functionVersion;
      const weights = { ...(patch.additionalVersionWeights ?? current.additionalVersionWeights) };
      this.#validateRouting(functionName, name, functionVersion, weights);
      this.#run(
        'UPDATE aliases SET function_version = ?, additional_version_weights = ?, description = ?, revision_id = ?, updated_at = ? WHERE function_name = ? AND name = ?',
        functionVersion, JSON.stringify(weights), patch.description ?? current.description, randomUUID(), now(), functionName, name,
      );
      return this.#alias(functionName, name);
    });
  }

  async getAlias(functionName: string, name: string): Promise<Alias> {
    return this.#read('get alias', () => {
      this.#function(functionName);
      return this.#alias(functionName, name);
    });
  }

  async listAliases(functionName: string): Promise<Alias[]> {
    return this.#read('list aliases', () => {
      this.#function(functionName);
      return this.#all('SELECT * FROM aliases WHERE function_name = ? ORDER BY name', functionName).map(toAlias);
    });
  }

  async deleteAlias(functionName: string, name: string): Promise<void> {
    return this.#write('delete alias', () => {
      this.#function(functionName);
      const { changes } = this.#run('DELETE FROM aliases WHERE function_name = ? AND name = ?', functionName, name);
      if (changes === 0) throw aliasNotFound(functionName, name);
    });
  }

  // Distributions.

  async createRevision(distributionId: string, config: Record<string, unknown>, meta: { comment?: string; createdBy: string }): Promise<DistributionRevision> {
    return this.#write('create revision', () => {
      const at = now();
      this.#run('INSERT INTO distributions (distribution_id, latest_revision, created_at) VALUES (?, 0, ?) ON CONFLICT (distribution_id) DO NOTHING', distributionId, at);
      const { latest_revision: latest } = this.#get('SELECT latest_revision FROM distributions WHERE distribution_id = ?', distributionId)!;
      const revision = (latest as number) + 1;
      this.#run('UPDATE distributions SET latest_revision = ? WHERE distribution_id = ?', revision, distributionId);
      this.#run(
        'INSERT INTO distribution_revisions (distribution_id, revision, config, comment, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        distributionId, revision, JSON.stringify(config), meta.comment ?? '', meta.createdBy, at,
      );
      return this.#revision(distributionId, revision);
    });
  }

  async getRevision(distributionId: string, revision: number): Promise<DistributionRevision> {
    return this.#read('get revision', () => this.#revision(distributionId, revision));
  }

  async listRevisions(distributionId: string): Promise<DistributionRevision[]> {
    return this.#read('list revisions', () => {
      this.#distribution(distributionId);
      return this.#all('SELECT * FROM distribution_revisions WHERE distribution_id = ? ORDER BY revision', distributionId).map(toRevision);
    });
  }

  async listDistributions(): Promise<{ distributionId: string; latestRevision: number }[]> {
    return this.#read('list distributions', () =>
      this.#all('SELECT distribution_id, latest_revision FROM distributions ORDER BY distribution_id').map((r) => ({
        distributionId: r.distribution_id as string,
        latestRevision: r.latest_revision as number,
      })),
    );
  }

  // Locations.

  async registerLocation(name: string, url: string | undefined): Promise<LocationRecord> {
    return this.#write('register location', () => {
      // Registering is not creating: an edge node registers at every start. A known location keeps
      // what it should serve and its health; its url and registeredAt are the new start's.
      this.#run(
        'INSERT INTO locations (name, url, registered_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET url = excluded.url, registered_at = excluded.registered_at',
        name, url ?? null, now(),
      );
      return this.#location(name);
    });
  }

  async getLocation(name: string): Promise<LocationRecord> {
    return this.#read('get location', () => this.#location(name));
  }

  async listLocations(): Promise<LocationRecord[]> {
    return this.#read('list locations', () => this.#all('SELECT name FROM locations ORDER BY name').map((r) => this.#location(r.name as string)));
  }

  async recordHeartbeat(
    name: string,
    beat: { distributionId?: string; servingRevision: number; servingGeneration: number; health: readonly Omit<VersionHealthSample, 'at'>[] },
  ): Promise<LocationRecord> {
    return this.#write('record heartbeat', () => {
      const at = now();
      // distributionId is the location's assignment (setDesired); a heartbeat fills it only when the
      // location has none yet (a node that started from the revision on its disk).
      const { changes } = this.#run(
        'UPDATE locations SET last_heartbeat_at = ?, serving_revision = ?, serving_generation = ?, distribution_id = coalesce(distribution_id, ?) WHERE name = ?',
        at, beat.servingRevision, beat.servingGeneration, beat.distributionId ?? null, name,
      );
      if (changes === 0) throw locationNotFound(name);
      for (const s of beat.health) {
        this.#run(
          `INSERT INTO location_health (location, key, requests, errors, p99_ms, at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (location, key) DO UPDATE SET requests = excluded.requests, errors = excluded.errors, p99_ms = excluded.p99_ms, at = excluded.at`,
          name, s.key, s.requests, s.errors, s.p99Ms, at,
        );
      }
      return this.#location(name);
    });
  }

  async setDesired(name: string, desired: { distributionId: string; revision: number; document: unknown }): Promise<LocationRecord> {
    return this.#write('set desired revision', () => {
      const location = this.#location(name);
      this.#revision(desired.distributionId, desired.revision);
      const generation = location.desiredGeneration + 1;
      this.#run(
        'UPDATE locations SET distribution_id = ?, desired_revision = ?, desired_generation = ?, desired_document = ? WHERE name = ?',
        desired.distributionId, desired.revision, generation, JSON.stringify(withGeneration(desired.document, generation)) ?? null, name,
      );
      return this.#location(name);
    });
  }

  // Deployments.

  async createDeployment(d: Omit<Deployment, 'id' | 'createdAt' | 'updatedAt' | 'events'> & { events?: DeploymentEvent[] }): Promise<Deployment> {
    return this.#write('create deployment', () => {
      this.#revision(d.distributionId, d.revision);
      const id = `d-${randomBytes(6).toString('hex')}`;
      const at = now();
      const { lastInsertRowid: seq } = this.#run(
        `INSERT INTO deployments (id, distribution_id, revision, previous_revision, status, plan, state, created_by, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, d.distributionId, d.revision, d.previousRevision, d.status, JSON.stringify(d.plan), JSON.stringify(d.state), d.createdBy, at, at,
      );
      this.#appendEvents(Number(seq), d.events ?? []);
      return this.#deployment(id);
    });
  }

  async updateDeployment(
    id: string,
    expectedStatus: DeploymentStatus,
    patch: { status?: DeploymentStatus; plan?: Record<string, unknown>; state?: Record<string, unknown>; events?: DeploymentEvent[] },
  ): Promise<Deployment> {
    return this.#write('update deployment', () => {
      const row = this.#get('SELECT seq, status FROM deployments WHERE id = ?', id);
      if (row === undefined) throw deploymentNotFound(id);
      if (row.status !== expectedStatus) {
        throw new ControlConflictError(`deployment "${id}" is ${String(row.status)}, not ${expectedStatus}`, { deploymentId: id, status: row.status, expectedStatus });
      }
      const sets: string[] = ['updated_at = ?'];
      const values: SQLInputValue[] = [now()];
      if (patch.status !== undefined) {
        sets.push('status = ?');
        values.push(patch.status);
      }
      if (patch.plan !== undefined) {
        sets.push('plan = ?');
        values.push(JSON.stringify(patch.plan));
      }
      if (patch.state !== undefined) {
        sets.push('state = ?');
        values.push(JSON.stringify(patch.state));
      }
      this.#run(`UPDATE deployments SET ${sets.join(', ')} WHERE id = ?`, ...values, id);
      this.#appendEvents(row.seq as number, patch.events ?? []);
      return this.#deployment(id);
    });
  }

  async getDeployment(id: string): Promise<Deployment> {
    return this.#read('get deployment', () => this.#deployment(id));
  }

  async listDeployments(distributionId?: string, status?: DeploymentStatus): Promise<Deployment[]> {
    return this.#read('list deployments', () => {
      // A NULL parameter matches everything: one statement (cached) serves all four combinations.
      const rows = this.#all('SELECT id FROM deployments WHERE (?1 IS NULL OR distribution_id = ?1) AND (?2 IS NULL OR status = ?2) ORDER BY seq', distributionId ?? null, status ?? null);
      return rows.map((r) => this.#deployment(r.id as string));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    this.#db.close();
  }

  // Reading rows into records (inside a transaction).

  #function(name: string): FunctionRecord {
    const row = this.#get('SELECT * FROM functions WHERE name = ?', name);
    if (row === undefined) throw functionNotFound(name);
    return toFunction(row);
  }

  #version(name: string, version: number): FunctionVersion {
    const row = this.#get('SELECT * FROM function_versions WHERE function_name = ? AND version = ?', name, version);
    if (row === undefined) throw versionNotFound(name, version);
    return toVersion(row);
  }

  #alias(functionName: string, name: string): Alias {
    const row = this.#get('SELECT * FROM aliases WHERE function_name = ? AND name = ?', functionName, name);
    if (row === undefined) throw aliasNotFound(functionName, name);
    return toAlias(row);
  }

  #distribution(distributionId: string): void {
    if (this.#get('SELECT 1 FROM distributions WHERE distribution_id = ?', distributionId) === undefined) {
      throw distributionNotFound(distributionId);
    }
  }

  #revision(distributionId: string, revision: number): DistributionRevision {
    const row = this.#get('SELECT * FROM distribution_revisions WHERE distribution_id = ? AND revision = ?', distributionId, revision);
    if (row === undefined) {
      this.#distribution(distributionId);
      throw revisionNotFound(distributionId, revision);
    }
    return toRevision(row);
  }

  #location(name: string): LocationRecord {
    const row = this.#get('SELECT * FROM locations WHERE name = ?', name);
    if (row === undefined) throw locationNotFound(name);
    return toLocation(row, this.#all('SELECT * FROM location_health WHERE location = ? ORDER BY key', name));
  }

  #deployment(id: string): Deployment {
    const row = this.#get('SELECT * FROM deployments WHERE id = ?', id);
    if (row === undefined) throw deploymentNotFound(id);
    return toDeployment(row, this.#all('SELECT * FROM deployment_events WHERE deployment_seq = ? ORDER BY seq', row.seq));
  }

  // Checks inside write transactions.

  #expectFunctionRevision(name: string, expectedRevisionId: string | undefined): FunctionRecord {
    const fn = this.#function(name);
    if (expectedRevisionId !== undefined && expectedRevisionId !== fn.revisionId) {
      throw staleRevisionId(`function "${name}"`, expectedRevisionId, fn.revisionId);
    }
    return fn;
  }

  #requireCode(code: CodeRef): void {
    const row = this.#get('SELECT size_bytes FROM code_blobs WHERE sha256 = ?', code.sha256);
    if (row === undefined) throw new ControlNotFoundError(`code ${code.sha256} is not stored: upload it first`, { sha256: code.sha256 });
    if (row.size_bytes !== code.sizeBytes) {
      throw new ControlConflictError(`code ${code.sha256} is ${String(row.size_bytes)} bytes, not ${code.sizeBytes}`, { sha256: code.sha256 });
    }
  }

  #validateRouting(functionName: string, aliasName: string, functionVersion: number, weights: Record<string, number>): void {
    const additional = validateAliasRouting(functionName, aliasName, functionVersion, weights);
    this.#version(functionName, functionVersion);
    if (additional !== undefined) this.#version(functionName, additional);
  }

  #appendEvents(deploymentSeq: number, events: readonly DeploymentEvent[]): void {
    if (events.length === 0) return;
    const { n } = this.#get('SELECT coalesce(max(seq), 0) AS n FROM deployment_events WHERE deployment_seq = ?', deploymentSeq)!;
    events.forEach((e, i) => {
      this.#run(
        'INSERT INTO deployment_events (deployment_seq, seq, at, type, actor, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
        deploymentSeq, (n as number) + i + 1, e.at, e.type, e.by, e.message, e.data === undefined ? null : JSON.stringify(e.data),
      );
    });
  }

  // Statements and transactions.

  #write<T>(operation: string, body: () => T): Promise<T> {
    return this.#transaction(operation, 'BEGIN IMMEDIATE', body);
  }

  /** Reads in a (deferred) transaction too: a record and its children come from one snapshot. */
  #read<T>(operation: string, body: () => T): Promise<T> {
    return this.#transaction(operation, 'BEGIN', body);
  }

  #transaction<T>(operation: string, begin: string, body: () => T): Promise<T> {
    try {
      if (this.#closed) throw new ControlStoreError(`The control store ${this.file} is closed`, { file: this.file });
      this.#db.exec(begin);
      try {
        const result = body();
        this.#db.exec('COMMIT');
        return Promise.resolve(result);
      } catch (err) {
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      if (err instanceof VergeError) return Promise.reject(err);
      return Promise.reject(
        new ControlStoreError(`The control store ${this.file} could not ${operation}: ${messageOf(err)}`, { file: this.file, operation, errcode: errcodeOf(err) }, { cause: err }),
      );
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }

  #run(sql: string, ...params: SQLInputValue[]): { changes: number | bigint; lastInsertRowid: number | bigint } {
    return this.#statement(sql).run(...params);
  }
}

/**
 * The document's own `generation` (revision-document.ts) is the one the store assigns, so the
 * caller need not guess it before the write: a document with a `generation` field is stored with
 * it set; anything else is stored as given.
 */
function withGeneration(document: unknown, generation: number): unknown {
  if (document !== null && typeof document === 'object' && !Array.isArray(document) && 'generation' in document) {
    return { ...document, generation };
  }
  return document;
}

function definedEntries<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function now(): string {
  return new Date().toISOString();
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errcodeOf(err: unknown): unknown {
  return (err as { errcode?: unknown } | null)?.errcode;
}
