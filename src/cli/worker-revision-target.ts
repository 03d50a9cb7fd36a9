/**
 * The workers of `verge serve` as one RevisionTarget: the edge agent runs once, in the supervisor (one
 * registration, one heartbeat for the whole node), and hands every document to every worker over IPC
 * (`apply-revision`); each worker builds and applies it to its own edge node (control/apply-revision.ts).
 * The code is on disk in the state directory, which all workers read.
 *
 * A worker that starts later (a replacement) gets the current document in its start message and is
 * asked again once ready, in case a newer one was applied meanwhile (a worker answers at once for the
 * generation it already serves). When some workers apply a document and others refuse it, those that
 * applied it are switched back to the previous one, so the workers never serve two revisions for longer
 * than the switch takes.
 */
import type { KeyedWindow, RevisionTarget } from '../control/apply-revision.ts';
import type { RevisionDocument } from '../control/revision-document.ts';
import { RevisionApplyError } from '../errors/edge-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import { mergeWindows } from '../observability/version-health.ts';
import { WorkerExitedError, type ServingWorker, type Supervisor } from '../proxy/supervisor.ts';

export interface AppliedDocument {
  readonly doc: RevisionDocument;
  readonly codeDir: string;
}

export interface WorkerRevisionTarget extends RevisionTarget {
  /** The document the workers serve (or are switching to): what a new worker starts with. */
  latest(): AppliedDocument | undefined;
  /** For SupervisorOptions.onReady. */
  onReady(worker: ServingWorker): void;
}

export function workerRevisionTarget(supervisor: () => Supervisor | undefined, logger: Logger): WorkerRevisionTarget {
  let current: AppliedDocument | undefined;
  let pending: AppliedDocument | undefined;
  const askApply = (worker: ServingWorker, applied: AppliedDocument) => worker.ask({ kind: 'apply-revision', doc: applied.doc, codeDir: applied.codeDir });
  return {
    latest: () => pending ?? current,
    onReady(worker) {
      const latest = pending ?? current;
      if (latest === undefined) return;
      askApply(worker, latest).catch((err: unknown) => {
        if (err instanceof WorkerExitedError) return;
        const code = err instanceof VergeError ? err.code : 'VERGE_ERR_REVISION_APPLY';
        logger.error({ type: 'revision-rejected', code, pid: worker.pid, generation: latest.doc.generation, err: (err as Error).message }, `Worker ${worker.pid} could not apply generation ${latest.doc.generation}`);
      });
    },
    async apply(doc, codeDir) {
      const next = { doc, codeDir };
      pending = next;
      const workers = supervisor()?.serving() ?? [];
      try {
        const results = await Promise.allSettled(workers.map((w) => askApply(w, next)));
        // A worker that exited meanwhile is replaced, and its replacement starts with this document.
        const failed = results.flatMap((r, i) => (r.status === 'rejected' && !(r.reason instanceof WorkerExitedError) ? [{ worker: workers[i]!, err: r.reason as Error }] : []));
        if (failed.length === 0) {
          current = next;
          return;
        }
        const previous = current;
        if (previous !== undefined) {
          const applied = workers.filter((_, i) => results[i]!.status === 'fulfilled');
          await Promise.allSettled(applied.map((w) => askApply(w, previous)));
        }
        const first = failed[0]!.err;
        throw new RevisionApplyError(first.message, { cause: first instanceof VergeError ? first.code : 'VERGE_ERR_INTERNAL', failedWorkers: failed.map((f) => f.worker.pid), workers: workers.length });
      } finally {
        if (pending === next) pending = undefined;
      }
    },
    async takeHealth() {
      const workers = supervisor()?.serving() ?? [];
      const answers = await Promise.allSettled(workers.map((w) => w.ask({ kind: 'take-health' }) as Promise<KeyedWindow[]>));
      const windows = answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
      return mergeWindows(windows.map(({ key, ...w }) => ({ name: key, ...w }))).map(({ name, ...w }) => ({ key: name, ...w }));
    },
  };
}
