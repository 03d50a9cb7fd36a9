/**
 * The caches of `verge serve`: one per serving worker process, purged by asking the worker over IPC
 * (Supervisor.serving, `verge:ask` / `verge:answer`). A worker that exits before it answers is
 * reported as `exited`.
 */
import { WorkerExitedError, type Supervisor } from '../proxy/supervisor.ts';
import { CacheTargetGoneError, type CacheTarget } from './cache-target.ts';

export function workerCacheTargets(supervisor: Pick<Supervisor, 'serving'>): CacheTarget[] {
  return supervisor.serving().map((worker) => ({
    pid: worker.pid,
    invalidate: async (request) => {
      try {
        const purged = await worker.ask({ kind: 'invalidate', paths: request.paths ?? [], tags: request.tags ?? [] });
        return purged as number;
      } catch (err) {
        throw err instanceof WorkerExitedError ? new CacheTargetGoneError(worker.pid) : err;
      }
    },
  }));
}
