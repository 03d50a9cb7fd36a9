/**
 * One worker process of `verge serve` (the module the supervisor forks, see src/proxy/supervisor.ts):
 * loads the configuration, runs one edge node on the port the workers share (SO_REUSEPORT), tells the supervisor
 * when it listens, and drains on SIGTERM or SIGINT. Its settings come in the supervisor's start message.
 */
import { once } from 'node:events';
import { parseConfig } from '../config/load-config.ts';
import { applyRevisionToNode, keyedHealth } from '../control/apply-revision.ts';
import { RevisionApplyError } from '../errors/edge-errors.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import { startEdgeNode, type EdgeNode } from '../proxy/edge-node.ts';
import { WORKER_HEARTBEAT_MS, type AskMessage, type StartMessage, type WorkerMessage, type WorkerQuestion } from '../proxy/supervisor.ts';
import type { WorkerSettings } from './serve-config.ts';
import { createSharedStdoutLogger } from './shared-stdout-logger.ts';

if (process.send === undefined) {
  process.stderr.write('verge: serve-worker.ts runs only as a worker forked by `verge serve`\n');
  process.exit(2);
}
const tell = (message: WorkerMessage): Promise<void> => new Promise((resolve) => process.send!(message, undefined, {}, () => resolve()));
const started = once(process, 'message') as Promise<[StartMessage]>;
void tell({ type: 'verge:hello' });
const settings = (await started)[0].data as WorkerSettings;

const logger = createSharedStdoutLogger();
// A stray rejected promise is a bug of ours, but it must cost at most the request it belonged to:
// log it instead of letting Node's default end the process (an uncaught exception still does, and
// the supervisor replaces the worker).
process.on('unhandledRejection', (reason) => {
  logger.error({ type: 'error', code: 'VERGE_ERR_INTERNAL', err: reason instanceof Error ? reason.stack : String(reason) }, 'Unhandled promise rejection');
});

let node: EdgeNode;
try {
  const config = settings.config === undefined ? undefined : parseConfig(settings.config.raw, settings.config.baseDir, settings.config.sourceName);
  node = await startEdgeNode(config ?? settings.edge!, { logger, port: settings.port, watch: settings.watch, reusePort: true });
} catch (err) {
  const { code, syscall } = err as NodeJS.ErrnoException;
  const message = err instanceof ConfigError || code !== undefined ? (err as Error).message : ((err as Error).stack ?? String(err));
  // A listen error is explained once, by the supervisor; anything else is this worker's to tell.
  if (syscall !== 'listen' && syscall !== 'bind') process.stderr.write(`verge worker ${process.pid}: cannot start: ${message}\n`);
  // Exit only once the supervisor has the reason: it decides whether retrying can help.
  await tell({ type: 'verge:start-failed', ...(code !== undefined ? { code } : {}), ...(syscall !== undefined ? { syscall } : {}), message });
  process.exit(1);
}
// A node that follows a control plane: the supervisor's edge agent sends every document (cli/worker-revision-target.ts).
const edge = settings.edge;
const keysByName = new Map<string, string>();
let servingGeneration = 0;
let applying: Promise<unknown> = Promise.resolve();
const applyRevision = (doc: NonNullable<typeof edge>['revision'] & object): Promise<number> => {
  const run = async () => {
    // Asked again for what it serves (a replacement asked once ready): nothing to do.
    if (doc.doc.generation === servingGeneration) return servingGeneration;
    await applyRevisionToNode(node, doc.doc, doc.codeDir, edge!, keysByName);
    servingGeneration = doc.doc.generation;
    return servingGeneration;
  };
  const result = applying.then(run, run);
  applying = result.catch(() => undefined);
  return result;
};
if (edge?.revision !== undefined) {
  try {
    await applyRevision(edge.revision);
  } catch (err) {
    // Still worth serving (its file's distribution, or 503 until a revision): the supervisor logs the refusal.
    logger.error({ type: 'revision-rejected', code: (err as VergeError).code ?? 'VERGE_ERR_INTERNAL', generation: edge.revision.doc.generation, err: (err as Error).message }, 'This worker could not apply the revision it started with');
  }
}

/** The answer to one of the supervisor's questions (Supervisor.ask); async, so a throw (no revision yet) is an answer too. */
async function answer(question: WorkerQuestion): Promise<unknown> {
  switch (question.kind) {
    case 'invalidate':
      return node.cache.invalidate({ paths: question.paths, tags: question.tags }).catch((err: unknown) => {
        const code = err instanceof VergeError ? err.code : 'VERGE_ERR_INTERNAL';
        logger.error({ type: 'invalidation-failed', code, err: err instanceof Error ? err.message : String(err) }, 'This worker could not purge its cache');
        throw err;
      });
    case 'apply-revision':
      return applyRevision({ doc: question.doc, codeDir: question.codeDir });
    case 'take-health':
      return keyedHealth(node, keysByName);
  }
}
process.on('message', (message: AskMessage) => {
  if (message?.type !== 'verge:ask') return;
  const { askId, question } = message;
  answer(question).then(
    (value) => void tell({ type: 'verge:answer', askId, ok: true, value }),
    (err: unknown) => {
      // A refused revision answers with its cause's code (VERGE_ERR_FUNCTION_LOAD, …): the supervisor wraps it again.
      const code = err instanceof RevisionApplyError ? String(err.details.cause ?? err.code) : err instanceof VergeError ? err.code : 'VERGE_ERR_INTERNAL';
      void tell({ type: 'verge:answer', askId, ok: false, code, message: err instanceof Error ? err.message : String(err) });
    },
  );
});
void tell({ type: 'verge:ready', url: node.url, port: node.port });
// For the supervisor's watchdog: sent from this event loop, so a thread stuck in one call V8 cannot
// interrupt (a builtin over a huge array) falls silent and gets this worker replaced. Unref'd: it must not keep a draining
// worker alive; `connected` because the channel closes when the supervisor goes (and this worker with it).
const heartbeat: WorkerMessage = { type: 'verge:heartbeat' };
setInterval(() => {
  if (process.connected) process.send!(heartbeat);
}, WORKER_HEARTBEAT_MS).unref();

// Stay subscribed: a second Ctrl-C (the terminal signals the whole process group, workers included)
// must not kill the worker halfway through its drain.
let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ type: 'signal', signal }, `Received ${signal}: draining in-flight requests`);
  void node.close().then(() => process.exit(0));
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
