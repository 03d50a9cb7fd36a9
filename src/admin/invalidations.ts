/**
 * Invalidations as CloudFront keeps them: each has an id, a status and its paths, and the last
 * ones are listed. An invalidation fans out to every cache of the node (CacheTarget: one per worker
 * process), waits for their answers up to `timeoutMs`, and keeps collecting late answers after
 * that, so a `GET` later shows what became of it.
 *
 * What `purged` counts depends on the store (docs/cache.md, "Invalidation"):
 * - memory: each worker process keeps its own cache, so `purged` sums the copies over the workers
 *   (one URL cached by two workers counts 2), and the invalidation is complete once every worker
 *   purged or exited (a worker's memory cache ends with it);
 * - disk: the workers share one directory, so the first purge to reach an entry deletes it and the
 *   others find nothing: each entry counts once, and one worker's purge completes the invalidation
 *   (the store's purge epoch, kept in the shared index, also stops every worker from storing a
 *   response that was being fetched while the purge ran).
 */
import type { Logger } from '../observability/logger.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { InvalidationRequestBody } from './invalidation-request.ts';
import { CacheTargetGoneError, type CacheTarget } from './cache-target.ts';
import { newInvalidationId } from './invalidation-id.ts';

/** CloudFront's `InProgress` and `Completed`, and `Failed` when no purge could be done (the store failed). */
export type InvalidationStatus = 'InProgress' | 'Completed' | 'Failed';

/** What one process holding a cache answered. */
export type WorkerResult =
  | { readonly pid: number; readonly outcome: 'purged'; readonly purged: number }
  | { readonly pid: number; readonly outcome: 'failed'; readonly code: string; readonly message: string }
  | { readonly pid: number; readonly outcome: 'exited' }
  | { readonly pid: number; readonly outcome: 'pending' };

/** An invalidation as the admin API shows it (JSON). */
export interface Invalidation {
  readonly id: string;
  readonly status: InvalidationStatus;
  readonly createTime: string;
  /** When it stopped being InProgress. */
  readonly completeTime?: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  /** Entries deleted: summed over the workers' own caches (memory), or each shared entry once (disk). */
  readonly purged: number;
  readonly store: 'memory' | 'disk';
  readonly workers: { readonly total: number; readonly answered: number; readonly results: readonly WorkerResult[] };
}

/** CloudFront's list shows an invalidation's id, status and time. */
export type InvalidationSummary = Pick<Invalidation, 'id' | 'status' | 'createTime' | 'purged'>;

export interface InvalidationsOptions {
  /** The caches to purge, asked anew for each invalidation (workers come and go). */
  readonly targets: () => readonly CacheTarget[];
  readonly store: 'memory' | 'disk';
  /** How long `create` waits for every answer before it resolves with `InProgress`. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Invalidations kept for `get` and `list`, the oldest forgotten first (CloudFront's console lists 100). */
  readonly maxKept?: number;
}

interface Kept {
  readonly id: string;
  readonly createTime: string;
  completeTime?: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  readonly results: WorkerResult[];
}

export class Invalidations {
  readonly #options: InvalidationsOptions;
  readonly #kept = new Map<string, Kept>();
  readonly #maxKept: number;

  constructor(options: InvalidationsOptions) {
    this.#options = options;
    this.#maxKept = options.maxKept ?? 100;
  }

  /** Purges every cache of the node; resolves once all answered, or after `timeoutMs` with what is known then. */
  async create(body: InvalidationRequestBody): Promise<Invalidation> {
    let id = newInvalidationId();
    while (this.#kept.has(id)) id = newInvalidationId();
    const targets = this.#options.targets();
    const record: Kept = { id, createTime: new Date().toISOString(), paths: body.paths, tags: body.tags, results: targets.map((t) => ({ pid: t.pid, outcome: 'pending' })) };
    this.#keep(record);
    const answers = targets.map((target, i) =>
      target.invalidate(body).then(
        (purged): WorkerResult => ({ pid: target.pid, outcome: 'purged', purged }),
        (err: unknown): WorkerResult =>
          err instanceof CacheTargetGoneError
            ? { pid: target.pid, outcome: 'exited' }
            : { pid: target.pid, outcome: 'failed', code: err instanceof VergeError ? err.code : 'VERGE_ERR_INTERNAL', message: err instanceof Error ? err.message : String(err) },
      ).then((result) => {
        record.results[i] = result;
        this.#settleIfFinal(record);
      }),
    );
    this.#settleIfFinal(record);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(answers), new Promise((resolve) => (timer = setTimeout(resolve, this.#options.timeoutMs)))]);
    clearTimeout(timer);
    const view = this.#view(record);
    if (view.status === 'InProgress') {
      const pending = view.workers.results.filter((r) => r.outcome === 'pending').map((r) => r.pid);
      this.#options.logger.warn({ type: 'invalidation-waiting', id, pending, timeoutMs: this.#options.timeoutMs }, `Invalidation ${id}: ${pending.length} worker(s) did not answer within ${this.#options.timeoutMs} ms; still waiting for them`);
    }
    return view;
  }

  get(id: string): Invalidation | undefined {
    const record = this.#kept.get(id);
    return record === undefined ? undefined : this.#view(record);
  }

  /** Newest first. */
  list(): InvalidationSummary[] {
    return [...this.#kept.values()].reverse().map((r) => {
      const { id, status, createTime, purged } = this.#view(r);
      return { id, status, createTime, purged };
    });
  }

  #keep(record: Kept): void {
    this.#kept.set(record.id, record);
    // A Map iterates in insertion order: the first key is the oldest.
    while (this.#kept.size > this.#maxKept) this.#kept.delete(this.#kept.keys().next().value!);
  }

  /** Logs an invalidation once, when it stops being InProgress. */
  #settleIfFinal(record: Kept): void {
    if (record.completeTime !== undefined) return;
    const view = this.#view(record);
    if (view.status === 'InProgress') return;
    record.completeTime = new Date().toISOString();
    const { id, status, purged, workers } = view;
    const level = status === 'Completed' ? 'info' : 'error';
    const failures = workers.results.filter((r) => r.outcome === 'failed');
    this.#options.logger[level](
      { type: 'invalidation', id, status, paths: record.paths.length, tags: record.tags.length, purged, workers: { total: workers.total, answered: workers.answered }, ...(failures.length > 0 ? { failures } : {}) },
      `Invalidation ${id} ${status}: ${purged} entries purged, ${workers.answered} of ${workers.total} worker(s) answered`,
    );
  }

  #view(record: Kept): Invalidation {
    const results = [...record.results];
    const purged = results.reduce((sum, r) => sum + (r.outcome === 'purged' ? r.purged : 0), 0);
    const answered = results.filter((r) => r.outcome === 'purged' || r.outcome === 'failed').length;
    return {
      id: record.id,
      status: statusOf(results, this.#options.store),
      createTime: record.createTime,
      ...(record.completeTime === undefined ? {} : { completeTime: record.completeTime }),
      paths: record.paths,
      tags: record.tags,
      purged,
      store: this.#options.store,
      workers: { total: results.length, answered, results },
    };
  }
}

/** See the file comment: a shared store is purged by any one worker; memory stores each by their own. */
export function statusOf(results: readonly WorkerResult[], store: 'memory' | 'disk'): InvalidationStatus {
  const has = (outcome: WorkerResult['outcome']) => results.some((r) => r.outcome === outcome);
  if (store === 'disk') {
    if (has('purged')) return 'Completed';
    // No worker at all, or every one failed or exited: the shared directory was not purged.
    return has('pending') ? 'InProgress' : 'Failed';
  }
  if (has('pending')) return 'InProgress';
  return has('failed') ? 'Failed' : 'Completed';
}
