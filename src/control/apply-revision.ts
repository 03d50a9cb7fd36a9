/**
 * Applies a revision document to a running edge node (issue 5 §2): its configuration is built and
 * validated (control/revision-config.ts), its new versions are loaded and prewarmed, and the node
 * switches atomically, requests in flight finishing on the versions they started with
 * (proxy/edge-node.ts `apply`). Whatever fails, the node keeps serving what it served, and the
 * failure is one RevisionApplyError naming the revision and its cause.
 */
import type { ListenConfig } from '../config/types.ts';
import { RevisionApplyError } from '../errors/edge-errors.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import type { VersionWindow } from '../observability/version-health.ts';
import type { ApplyOutcome, EdgeNode } from '../proxy/edge-node.ts';
import { revisionConfig } from './revision-config.ts';
import type { RevisionDocument } from './revision-document.ts';

/** Per version key (`resize:3`), what it did since the last look. */
export interface KeyedWindow extends Omit<VersionWindow, 'name'> {
  readonly key: string;
}

/**
 * What the edge agent applies documents to: one node in this process, or (proxy/supervisor.ts) every
 * worker of `verge serve`.
 */
export interface RevisionTarget {
  /**
   * Applies `doc`, whose code is in codeDir; resolves once every node serves it.
   * @throws RevisionApplyError VERGE_ERR_REVISION_APPLY, with every node still serving what it served
   */
  apply(doc: RevisionDocument, codeDir: string): Promise<void>;
  /** Per version key, since the previous call (all nodes together). */
  takeHealth(): Promise<KeyedWindow[]>;
}

export interface NodeSettings {
  readonly listen: ListenConfig;
  readonly location: string;
}

/** What applying did on one node, for its log line. */
export interface AppliedRevision extends ApplyOutcome {
  readonly revision: number;
  readonly generation: number;
}

/**
 * Builds the document's configuration and applies it to `node`.
 * @throws RevisionApplyError (its `cause`: the ConfigError, the function's load error, …)
 */
export async function applyRevisionToNode(node: EdgeNode, doc: RevisionDocument, codeDir: string, settings: NodeSettings, keysByName: Map<string, string>): Promise<AppliedRevision> {
  const what = `revision ${doc.revision} (generation ${doc.generation}) of distribution ${doc.distributionId}`;
  const ids = { distributionId: doc.distributionId, revision: doc.revision, generation: doc.generation };
  let built;
  try {
    built = revisionConfig(doc, { codeDir, ...settings });
  } catch (err) {
    if (err instanceof ConfigError) throw new RevisionApplyError(`Cannot apply ${what}: its configuration is invalid:\n${err.message}`, { ...ids, cause: err.code, issues: err.issues }, err);
    throw new RevisionApplyError(`Cannot apply ${what}: ${(err as Error).message}`, { ...ids, cause: 'VERGE_ERR_INTERNAL' }, err);
  }
  let outcome: ApplyOutcome;
  try {
    outcome = await node.apply(built.config);
  } catch (err) {
    const cause = err instanceof VergeError ? err.code : 'VERGE_ERR_INTERNAL';
    const details = err instanceof VergeError ? err.details : {};
    throw new RevisionApplyError(`Cannot apply ${what}: ${(err as Error).message}`, { ...ids, cause, ...details }, err);
  }
  // Kept across revisions: a window may hold invocations of a version the node no longer runs.
  for (const [name, key] of built.keysByName) keysByName.set(name, key);
  return { ...outcome, revision: doc.revision, generation: doc.generation };
}

/** The node's health windows by version key; functions that came from no document are left out. */
export function keyedHealth(node: EdgeNode, keysByName: ReadonlyMap<string, string>): KeyedWindow[] {
  const out: KeyedWindow[] = [];
  for (const { name, ...w } of node.health.take()) {
    const key = keysByName.get(name);
    if (key !== undefined) out.push({ key, ...w });
  }
  return out;
}

/** One node in this process as a RevisionTarget. */
export function nodeRevisionTarget(node: EdgeNode, settings: NodeSettings): RevisionTarget {
  const keysByName = new Map<string, string>();
  return {
    async apply(doc, codeDir) {
      const applied = await applyRevisionToNode(node, doc, codeDir, settings, keysByName);
      node.logger.info(
        { type: 'revision-applied', distributionId: doc.distributionId, revision: applied.revision, generation: applied.generation, versions: doc.functions.map((f) => f.key), prewarmed: applied.prewarmed.length, durationMs: Math.round(applied.durationMs) },
        `Applied revision ${applied.revision} (generation ${applied.generation}) in ${Math.round(applied.durationMs)} ms`,
      );
    },
    takeHealth: () => Promise.resolve(keyedHealth(node, keysByName)),
  };
}
