/**
 * The edge node's side of the control plane (issue 5 §1, §2; the wire contract is
 * control/revision-document.ts):
 *
 * 1. At start, the revision saved in the state directory (if any) is applied at once, so a node
 *    restarted while its control plane is down serves what it served before.
 * 2. It registers its location, then long-polls `GET /v1/edge/locations/{location}/revision?after=G`
 *    for the next generation; each document is validated, its missing code fetched by sha256
 *    (`GET /v1/edge/code/{sha256}`) and verified, applied (control/apply-revision.ts), and saved.
 * 3. Every heartbeatIntervalMs it posts the revision and generation it serves and each version's
 *    requests, errors and p99 since the previous beat.
 *
 * A control plane that does not answer is retried with exponential backoff (with jitter, up to
 * maxBackoffMs) and one structured warning per failure: the node keeps serving, it never exits for it.
 * A document that cannot be applied (invalid, code whose bytes do not match its sha256, a function that
 * does not load) is logged and skipped: the node keeps its revision, polls for the generation after the
 * failed one, and its heartbeat keeps reporting the generation it really serves, which tells the control
 * plane the deployment did not take here.
 */
import { request } from 'undici';
import { ControlPlaneUnreachableError, RevisionApplyError } from '../errors/edge-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import { p99 } from '../observability/version-health.ts';
import type { RevisionTarget } from './apply-revision.ts';
import { edgeHeartbeatSchema, revisionDocumentSchema, type EdgeHeartbeat, type RevisionDocument } from './revision-document.ts';
import { codeDirOf, loadSavedRevision, missingCode, pruneCode, saveRevision, storeCode } from './revision-state.ts';

export interface EdgeAgentOptions {
  readonly location: string;
  /** The control plane's base URL (`http://cp.internal:8090`); the edge API's paths go under it. */
  readonly controlPlaneUrl: string;
  /** Bearer token for the edge API; undefined sends none. */
  readonly token: string | undefined;
  /** Where the last applied revision and its code are kept; a temporary directory when undefined (nothing survives a restart). */
  readonly stateDir: string;
  readonly target: RevisionTarget;
  readonly logger: Logger;
  /** Sent at registration. */
  readonly nodeVersion?: string;
  /** The node's own URL, sent at registration. */
  readonly nodeUrl?: string;
  readonly heartbeatIntervalMs?: number;
  /** How long the control plane may hold a poll open (its `waitMs`). */
  readonly pollWaitMs?: number;
  /** First retry delay after a failure; doubles per failure up to maxBackoffMs. */
  readonly minBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * Apply the saved revision but do not contact the control plane until `follow()` is called (the
   * supervisor starts its workers in between, so they start with the saved revision).
   */
  readonly deferFollow?: boolean;
  /** Purges the node's caches for a control-plane invalidation; resolves the entries purged. */
  readonly invalidate?: (request: { readonly paths: readonly string[]; readonly tags: readonly string[] }) => Promise<number>;
}

export interface EdgeAgent {
  /** What the node serves now (undefined before its first revision). */
  serving(): RevisionDocument | undefined;
  /** Resolves once a document of at least this generation is served (tests, `verge serve` logs). */
  waitForGeneration(generation: number, timeoutMs?: number): Promise<RevisionDocument>;
  /** Sends one heartbeat now (also sent on its timer). */
  heartbeat(): Promise<void>;
  /** Starts following the control plane (at once unless `deferFollow`); later calls do nothing. */
  follow(): void;
  stop(): Promise<void>;
}

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
const DEFAULT_POLL_WAIT_MS = 20_000;

/**
 * Starts the agent: applies the saved revision (awaited: when this resolves, the node serves it), then
 * follows the control plane in the background.
 */
export async function startEdgeAgent(options: EdgeAgentOptions): Promise<EdgeAgent> {
  const { location, target, logger, stateDir } = options;
  const base = options.controlPlaneUrl.replace(/\/+$/, '');
  const codeDir = codeDirOf(stateDir);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const pollWaitMs = options.pollWaitMs ?? DEFAULT_POLL_WAIT_MS;
  const minBackoffMs = options.minBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const headers: Record<string, string> = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const stopping = new AbortController();
  const loc = encodeURIComponent(location);

  let serving: RevisionDocument | undefined;
  /** The newest generation seen, applied or refused: the next poll asks for one after it. */
  let seenGeneration = 0;
  const waiters = new Set<{ generation: number; resolve: (doc: RevisionDocument) => void }>();
  const served = (doc: RevisionDocument) => {
    serving = doc;
    for (const w of waiters) if (doc.generation >= w.generation) (waiters.delete(w), w.resolve(doc));
  };

  // 1. The saved revision first: served before the control plane is even asked.
  try {
    const saved = await loadSavedRevision(stateDir);
    if (saved !== undefined) {
      const missing = await missingCode(codeDir, saved);
      if (missing.length > 0) throw new Error(`its code is missing or changed on disk: ${missing.map((f) => `${f.key} (${f.code.sha256})`).join(', ')}`);
      await target.apply(saved, codeDir);
      served(saved);
      seenGeneration = saved.generation;
      logger.info({ type: 'revision-restored', location, stateDir, revision: saved.revision, generation: saved.generation }, `Serving revision ${saved.revision} (generation ${saved.generation}) from ${stateDir}`);
    }
  } catch (err) {
    const code = err instanceof VergeError ? err.code : 'VERGE_ERR_REVISION_APPLY';
    logger.error({ type: 'revision-restore-failed', code, location, stateDir, err: (err as Error).message }, `The revision saved in ${stateDir} cannot be served; waiting for the control plane`);
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      stopping.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  let failures = 0;
  const backoff = async (what: string, err: unknown) => {
    failures++;
    // Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): nodes that lost the control
    // plane together do not come back in step.
    const capMs = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(failures - 1, 20));
    const delayMs = Math.round(capMs / 2 + (Math.random() * capMs) / 2);
    const code = err instanceof VergeError ? err.code : 'VERGE_ERR_CONTROL_PLANE_UNREACHABLE';
    logger.warn({ type: 'control-plane-unreachable', code, location, controlPlaneUrl: base, step: what, failures, retryInMs: delayMs, err: (err as Error).message }, `Control plane ${what} failed (${(err as Error).message}); still serving ${serving === undefined ? 'nothing' : `revision ${serving.revision}`}; retrying in ${delayMs} ms`);
    await sleep(delayMs);
  };

  /** One HTTP exchange with the edge API; a network failure or 5xx is ControlPlaneUnreachableError. */
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 10_000) => {
    let res;
    try {
      res = await request(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: stopping.signal,
      });
    } catch (err) {
      throw new ControlPlaneUnreachableError(`${method} ${path}: ${(err as Error).message}`, { path }, err);
    }
    if (res.statusCode >= 300 && res.statusCode !== 304) {
      const text = await res.body.text().catch(() => '');
      throw new ControlPlaneUnreachableError(`${method} ${path} answered ${res.statusCode}${text === '' ? '' : `: ${text.slice(0, 300)}`}`, { path, status: res.statusCode });
    }
    return res;
  };

  const register = async () => {
    const res = await call('POST', `/v1/edge/locations/${loc}/register`, { ...(options.nodeUrl === undefined ? {} : { url: options.nodeUrl }), nodeVersion: options.nodeVersion ?? 'unknown' });
    await res.body.dump();
  };

  /** Fetches what the document lacks, verifying every byte against its sha256. */
  const fetchCode = async (doc: RevisionDocument) => {
    for (const fn of await missingCode(codeDir, doc)) {
      const res = await call('GET', `/v1/edge/code/${fn.code.sha256}`, undefined, 60_000);
      const bytes = new Uint8Array(await res.body.arrayBuffer());
      await storeCode(codeDir, fn, bytes);
    }
  };

  const applyDocument = async (doc: RevisionDocument) => {
    // A network failure here is retried (the generation stays unseen); anything else refuses the document.
    await fetchCode(doc);
    await target.apply(doc, codeDir);
    served(doc);
    logger.info({ type: 'revision-served', location, distributionId: doc.distributionId, revision: doc.revision, generation: doc.generation, versions: doc.functions.map((f) => f.key) }, `Location ${location} serves revision ${doc.revision} (generation ${doc.generation})`);
    try {
      await saveRevision(stateDir, doc);
      await pruneCode(codeDir, [doc]);
    } catch (err) {
      logger.error({ type: 'revision-save-failed', code: 'VERGE_ERR_INTERNAL', stateDir, err: (err as Error).message }, `Revision ${doc.revision} applied but could not be saved in ${stateDir}: a restart without the control plane would serve the previous one`);
    }
  };

  const follow = async () => {
    let registered = false;
    while (!stopping.signal.aborted) {
      try {
        if (!registered) {
          await register();
          registered = true;
          logger.info({ type: 'edge-registered', location, controlPlaneUrl: base }, `Registered location ${location} with ${base}`);
        }
        const res = await call('GET', `/v1/edge/locations/${loc}/revision?after=${seenGeneration}&waitMs=${pollWaitMs}`, undefined, pollWaitMs + 10_000);
        if (res.statusCode === 204) {
          await res.body.dump();
          failures = 0;
          continue;
        }
        let raw: unknown;
        try {
          raw = await res.body.json();
        } catch (err) {
          throw new ControlPlaneUnreachableError(`the revision answer is not JSON: ${(err as Error).message}`);
        }
        failures = 0;
        const parsed = revisionDocumentSchema.safeParse(raw);
        if (!parsed.success) {
          const generation = (raw as { generation?: unknown })?.generation;
          const err = new RevisionApplyError(`The control plane sent a revision document that does not validate: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { location });
          logger.error({ type: 'revision-rejected', code: err.code, location, err: err.message }, err.message);
          // Skip it if it says which generation it is; otherwise poll again after a pause rather than in a loop.
          if (typeof generation === 'number' && Number.isInteger(generation) && generation > seenGeneration) seenGeneration = generation;
          else await sleep(maxBackoffMs);
          continue;
        }
        const doc = parsed.data;
        // An older generation than asked for: a confused control plane; do not spin on it.
        if (doc.generation <= seenGeneration) {
          await sleep(minBackoffMs);
          continue;
        }
        try {
          await applyDocument(doc);
          seenGeneration = doc.generation;
        } catch (err) {
          if (err instanceof ControlPlaneUnreachableError) throw err;
          seenGeneration = doc.generation;
          const code = err instanceof VergeError ? err.code : 'VERGE_ERR_REVISION_APPLY';
          const details = err instanceof VergeError ? err.details : {};
          logger.error(
            { type: 'revision-rejected', ...details, code, location, distributionId: doc.distributionId, revision: doc.revision, generation: doc.generation, servingGeneration: serving?.generation ?? 0, err: (err as Error).message },
            `Revision ${doc.revision} (generation ${doc.generation}) was not applied: ${(err as Error).message}; still serving ${serving === undefined ? 'nothing' : `revision ${serving.revision} (generation ${serving.generation})`}`,
          );
          // Tell the control plane at once, not at the next beat, that this generation did not take.
          void beat();
        }
      } catch (err) {
        if (stopping.signal.aborted) return;
        if (err instanceof ControlPlaneUnreachableError && (err.details as { status?: number }).status === 404) registered = false;
        await backoff(registered ? 'poll' : 'registration', err);
      }
    }
  };

  // Control-plane invalidations: each purged once, its count reported in the next heartbeat (sent at once).
  const invalidationsDone: { id: string; purged: number }[] = [];
  const purging = new Set<string>();
  const purge = async (inv: { id: string; paths: string[]; tags: string[] }): Promise<void> => {
    if (purging.has(inv.id) || options.invalidate === undefined) return;
    purging.add(inv.id);
    try {
      const purged = await options.invalidate({ paths: inv.paths, tags: inv.tags });
      invalidationsDone.push({ id: inv.id, purged });
      logger.info({ type: 'invalidation-applied', id: inv.id, purged, location }, `Invalidation ${inv.id}: ${purged} entries purged`);
      setImmediate(() => void beat().finally(() => purging.delete(inv.id)));
    } catch (err) {
      purging.delete(inv.id);
      logger.warn({ type: 'invalidation-failed', id: inv.id, code: (err as VergeError).code ?? 'VERGE_ERR_CACHE_STORE', err: (err as Error).message }, `Invalidation ${inv.id} failed; retried at the next heartbeat`);
    }
  };

  let beating: Promise<void> | undefined;
  const beat = (): Promise<void> => {
    beating ??= (async () => {
      let reported: { id: string; purged: number }[] = [];
      try {
        const windows = await target.takeHealth();
        const body: EdgeHeartbeat = edgeHeartbeatSchema.parse({
          ...(serving === undefined ? {} : { distributionId: serving.distributionId }),
          servingRevision: serving?.revision ?? 0,
          servingGeneration: serving?.generation ?? 0,
          health: windows.map((w) => ({ key: w.key, requests: w.requests, errors: w.errors, p99Ms: Math.round(p99(w.samplesMs) * 1000) / 1000 })),
        });
        reported = invalidationsDone.splice(0);
        const res = await call('POST', `/v1/edge/locations/${loc}/heartbeat`, { ...body, invalidationsDone: reported });
        const answer = (await res.body.json().catch(() => ({}))) as { invalidations?: { id: string; paths: string[]; tags: string[] }[] };
        for (const inv of answer.invalidations ?? []) void purge(inv);
      } catch (err) {
        // Not reported after all: the next heartbeat carries them.
        invalidationsDone.unshift(...reported);
        if (stopping.signal.aborted) return;
        const code = err instanceof VergeError ? err.code : 'VERGE_ERR_CONTROL_PLANE_UNREACHABLE';
        logger.warn({ type: 'heartbeat-failed', code, location, err: (err as Error).message }, `Heartbeat to ${base} failed: ${(err as Error).message}`);
      } finally {
        beating = undefined;
      }
    })();
    return beating;
  };
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let following: Promise<void> | undefined;
  const start = () => {
    if (following !== undefined || stopping.signal.aborted) return;
    heartbeatTimer = setInterval(() => void beat(), heartbeatIntervalMs);
    heartbeatTimer.unref();
    following = follow();
  };
  if (options.deferFollow !== true) start();

  return {
    serving: () => serving,
    waitForGeneration(generation, timeoutMs = 30_000) {
      if (serving !== undefined && serving.generation >= generation) return Promise.resolve(serving);
      return new Promise((resolve, reject) => {
        const waiter = { generation, resolve: (doc: RevisionDocument) => (clearTimeout(timer), resolve(doc)) };
        const timer = setTimeout(() => (waiters.delete(waiter), reject(new Error(`generation ${generation} not served within ${timeoutMs} ms`))), timeoutMs);
        waiters.add(waiter);
      });
    },
    heartbeat: beat,
    follow: start,
    async stop() {
      stopping.abort();
      clearInterval(heartbeatTimer);
      await following;
      await beating;
    },
  };
}
