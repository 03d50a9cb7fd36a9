/**
 * The control plane's storage: Lambda's function model (a mutable $LATEST, immutable numbered
 * versions, aliases), code bundles by sha256, distributions as numbered revisions, edge locations
 * and deployments. Asynchronous throughout so a PostgreSQL store can implement it unchanged; every
 * implementation passes the one contract suite (test/control/control-store-contract.ts).
 *
 * Rules every store keeps (the contract tests them):
 * - Names are unique per kind; creating one that exists rejects with ControlConflictError
 *   (VERGE_ERR_CONTROL_CONFLICT); reading or changing one that does not exist rejects with
 *   ControlNotFoundError (VERGE_ERR_CONTROL_NOT_FOUND).
 * - Writes that take `expectedRevisionId` reject with ControlConflictError when the record changed
 *   since (optimistic concurrency, Lambda's RevisionId).
 * - Version and revision numbers are assigned by the store, atomically: two concurrent publishes get
 *   two different numbers, never a gap-free guarantee across deletes.
 * - Returned objects are plain data (JSON-serialisable), never live references into the store.
 */
import type { CodeRef } from './revision-document.ts';

export type Runtime = 'nodejs-edge' | 'cloudfront-js-2.0';

/** What $LATEST holds besides code, and what a version snapshots (Lambda's FunctionConfiguration). */
export interface FunctionSettings {
  readonly runtime: Runtime;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly description: string;
}

export interface FunctionRecord {
  readonly name: string;
  /** `verge:function:NAME` */
  readonly arn: string;
  readonly settings: FunctionSettings;
  readonly code: CodeRef;
  /** Changes on every write to $LATEST (a random id, like Lambda's RevisionId). */
  readonly revisionId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface FunctionVersion {
  readonly functionName: string;
  readonly version: number;
  /** `verge:function:NAME:3` */
  readonly arn: string;
  readonly settings: FunctionSettings;
  readonly code: CodeRef;
  readonly description: string;
  readonly createdAt: string;
}

export interface Alias {
  readonly functionName: string;
  readonly name: string;
  /** `verge:function:NAME:ALIAS` */
  readonly arn: string;
  readonly functionVersion: number;
  /** Lambda's RoutingConfig.AdditionalVersionWeights: at most one other version, weight 0..1. */
  readonly additionalVersionWeights: Readonly<Record<string, number>>;
  readonly description: string;
  readonly revisionId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DistributionRevision {
  readonly distributionId: string;
  readonly revision: number;
  /** The distribution as in a config file (origins, behaviors naming `fn:3` / `fn:alias`, cache, …), without `listen` and `functions`. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly comment: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface VersionHealthSample {
  /** `name:3` */
  readonly key: string;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number;
  /** When the sample was reported. */
  readonly at: string;
}

export interface LocationRecord {
  readonly name: string;
  readonly url: string | undefined;
  readonly registeredAt: string;
  readonly lastHeartbeatAt: string | undefined;
  readonly distributionId: string | undefined;
  readonly servingRevision: number;
  readonly servingGeneration: number;
  /** What the location should serve (set by deployments and rollouts); 0 = nothing yet. */
  readonly desiredRevision: number;
  readonly desiredGeneration: number;
  /** The resolved document for desiredGeneration (revision-document.ts), as stored by the control plane. */
  readonly desiredDocument: unknown;
  /** The latest health samples, one per version key. */
  readonly health: readonly VersionHealthSample[];
}

export type DeploymentStatus = 'InProgress' | 'Succeeded' | 'RolledBack' | 'Aborted' | 'Failed';

export interface DeploymentEvent {
  readonly at: string;
  /** e.g. `wave-started`, `gate-passed`, `gate-failed`, `promoted`, `aborted`, `rolled-back`. */
  readonly type: string;
  readonly by: string;
  readonly message: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

/** A rollout of a distribution revision to locations in waves (issue 5 §2); `plan` and `state` are the rollout engine's. */
export interface Deployment {
  readonly id: string;
  readonly distributionId: string;
  readonly revision: number;
  /** The revision the locations served before (what a rollback returns to). */
  readonly previousRevision: number;
  readonly status: DeploymentStatus;
  readonly plan: Readonly<Record<string, unknown>>;
  readonly state: Readonly<Record<string, unknown>>;
  readonly events: readonly DeploymentEvent[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ControlStore {
  /** `sqlite`, `postgres`, … */
  readonly kind: string;

  // Code bundles, content-addressed: putting the same bytes twice stores them once.
  putCode(bytes: Uint8Array): Promise<{ sha256: string; sizeBytes: number }>;
  getCode(sha256: string): Promise<Uint8Array | undefined>;

  // Functions and $LATEST.
  createFunction(name: string, settings: FunctionSettings, code: CodeRef): Promise<FunctionRecord>;
  getFunction(name: string): Promise<FunctionRecord>;
  listFunctions(): Promise<FunctionRecord[]>;
  updateFunctionCode(name: string, code: CodeRef, expectedRevisionId?: string): Promise<FunctionRecord>;
  updateFunctionSettings(name: string, patch: Partial<FunctionSettings>, expectedRevisionId?: string): Promise<FunctionRecord>;
  /** Deletes the function, its versions and aliases. */
  deleteFunction(name: string): Promise<void>;

  // Versions: snapshots of $LATEST. Publishing when $LATEST equals the newest version (same code
  // sha256 and settings) returns that version instead of a new one, as Lambda's PublishVersion does.
  publishVersion(name: string, description: string, expectedRevisionId?: string): Promise<FunctionVersion>;
  getVersion(name: string, version: number): Promise<FunctionVersion>;
  listVersions(name: string): Promise<FunctionVersion[]>;

  // Aliases.
  createAlias(functionName: string, alias: { name: string; functionVersion: number; additionalVersionWeights?: Record<string, number>; description?: string }): Promise<Alias>;
  updateAlias(functionName: string, name: string, patch: { functionVersion?: number; additionalVersionWeights?: Record<string, number>; description?: string }, expectedRevisionId?: string): Promise<Alias>;
  getAlias(functionName: string, name: string): Promise<Alias>;
  listAliases(functionName: string): Promise<Alias[]>;
  deleteAlias(functionName: string, name: string): Promise<void>;

  // Distributions: each save is a new numbered revision.
  createRevision(distributionId: string, config: Record<string, unknown>, meta: { comment?: string; createdBy: string }): Promise<DistributionRevision>;
  getRevision(distributionId: string, revision: number): Promise<DistributionRevision>;
  listRevisions(distributionId: string): Promise<DistributionRevision[]>;
  listDistributions(): Promise<{ distributionId: string; latestRevision: number }[]>;

  // Locations.
  registerLocation(name: string, url: string | undefined): Promise<LocationRecord>;
  getLocation(name: string): Promise<LocationRecord>;
  listLocations(): Promise<LocationRecord[]>;
  recordHeartbeat(name: string, beat: { distributionId?: string; servingRevision: number; servingGeneration: number; health: readonly Omit<VersionHealthSample, 'at'>[] }): Promise<LocationRecord>;
  /** Sets what the location should serve; the generation is assigned by the store (previous + 1). */
  setDesired(name: string, desired: { distributionId: string; revision: number; document: unknown }): Promise<LocationRecord>;

  // Deployments.
  createDeployment(d: Omit<Deployment, 'id' | 'createdAt' | 'updatedAt' | 'events'> & { events?: DeploymentEvent[] }): Promise<Deployment>;
  /** Replaces status/plan/state and appends events; rejects with ControlConflictError when the status is not `expectedStatus`. */
  updateDeployment(id: string, expectedStatus: DeploymentStatus, patch: { status?: DeploymentStatus; plan?: Record<string, unknown>; state?: Record<string, unknown>; events?: DeploymentEvent[] }): Promise<Deployment>;
  getDeployment(id: string): Promise<Deployment>;
  /** In creation order; only one distribution's, and only those with this status, when given. */
  listDeployments(distributionId?: string, status?: DeploymentStatus): Promise<Deployment[]>;

  close(): Promise<void>;
}
