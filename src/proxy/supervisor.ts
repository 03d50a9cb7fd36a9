/**
 * The supervisor (cluster primary) of `verge serve`: starts one worker process per configured
 * worker, replaces any that dies, and drains them all on shutdown. It handles no request itself.
 *
 * Why node:cluster rather than child processes with SO_REUSEPORT: the workers share one listening
 * socket that the primary opens, so `port: 0` gives every worker the same port, a port in use is one
 * clear EADDRINUSE, and a second Verge started on the same port fails instead of silently splitting
 * the traffic; connections waiting in the accept queue survive a worker's death (with one
 * SO_REUSEPORT socket per worker, the dead worker's queue is reset).
 *
 * Why workers at all: isolated-vm can answer a catastrophic allocation inside an isolate by
 * aborting the whole process (V8's fatal OOM handler, see edge-functions/fixtures/
 * heap-oom-aborts-process.js). In a worker that costs only the requests in flight on it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../observability/logger.ts';

/** What a worker tells the supervisor over the IPC channel. */
export type WorkerMessage =
  | { readonly type: 'verge:hello' }
  | { readonly type: 'verge:ready'; readonly url: string }
  | { readonly type: 'verge:start-failed'; readonly code?: string; readonly syscall?: string; readonly message: string };

/** The supervisor's answer to `verge:hello` (asked for, not pushed: a message sent before the worker listens is lost). */
export interface StartMessage {
  readonly type: 'verge:start';
  readonly data: unknown;
}

export interface SupervisorOptions {
  /** Worker processes to keep running (≥ 1). */
  readonly workers: number;
  /** The module each worker runs; it must send `verge:ready` once it listens. */
  readonly workerScript: string;
  /** What every worker gets in its start message (its settings); plain data that survives IPC. */
  readonly workerData: unknown;
  readonly logger: Logger;
  /** How long a worker may drain on shutdown before it is killed (its own drain is 30 s). */
  readonly stopTimeoutMs?: number;
  /** Consecutive workers that may die before getting ready, with none serving, before the supervisor gives up. */
  readonly maxStartFailures?: number;
}

export interface Supervisor {
  /** `http://host:port` the workers share. */
  readonly url: string;
  /** The pids of the workers currently running. */
  pids(): number[];
  /** Settles when workers can no longer be started (a crash loop with none serving); the message says why. */
  readonly gaveUp: Promise<string>;
  /** Drains every worker (SIGTERM) and waits for all of them to exit. */
  stop(): Promise<void>;
}

/** Workers could not start; `code` is the listen error (EADDRINUSE, …) when that was the cause. */
export class WorkerStartError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'WorkerStartError';
    this.code = code;
  }
}

// A listen error is the same for every worker and every retry: stop at once.
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL']);
const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 10_000;

interface Slot {
  worker: Worker;
  readonly startedAt: number;
  ready: boolean;
  startFailure?: WorkerMessage & { type: 'verge:start-failed' };
}

/**
 * Forks the workers and resolves once every one of them listens.
 * @throws WorkerStartError when they cannot start (a port in use, or every attempt dying at startup)
 */
export function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  const { logger } = options;
  const maxStartFailures = options.maxStartFailures ?? 5;
  const stopTimeoutMs = options.stopTimeoutMs ?? 35_000;
  // Each worker accepts from the shared socket itself (SCHED_NONE) rather than the primary accepting
  // and handing connections out round-robin (SCHED_RR, Node's default on Linux). Measured here: under
  // SCHED_RR a connection handed to a worker at the moment it was SIGKILLed stayed open and unanswered
  // for good (Node's RoundRobinHandle never closes a handle whose handoff was not acknowledged), where
  // the issue allows only the dead worker's in-flight requests to *fail*; and a worker blocked inside
  // an isolate (a huge allocation takes isolated-vm seconds to refuse) would still be handed new
  // connections, where with SCHED_NONE it takes none until it is free. The primary then touches no
  // connection at all. The cost: the kernel, not a rotation, spreads connections (bench/README.md).
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({
    exec: options.workerScript,
    args: [],
    // isolated-vm needs --no-node-snapshot on Node >= 20 (its README); bin/verge.js gives it to the
    // primary, and workers must have it too.
    execArgv: [...new Set([...process.execArgv, '--no-node-snapshot'])],
  });

  const slots = new Map<number, Slot>(); // by worker id
  let url = '';
  let stopping = false;
  let startFailures = 0; // consecutive deaths before ready
  let started = false;
  let resolveGaveUp!: (why: string) => void;
  const gaveUp = new Promise<string>((resolve) => (resolveGaveUp = resolve));
  let settleStart!: { resolve: () => void; reject: (err: WorkerStartError) => void };
  const allReady = new Promise<void>((resolve, reject) => (settleStart = { resolve, reject }));

  const fork = (): Worker => {
    const worker = cluster.fork();
    const slot: Slot = { worker, startedAt: Date.now(), ready: false };
    slots.set(worker.id, slot);
    worker.on('message', (message: WorkerMessage) => onMessage(slot, message));
    worker.on('exit', (code, signal) => onExit(slot, code, signal));
    return worker;
  };

  const onMessage = (slot: Slot, message: WorkerMessage): void => {
    if (message?.type === 'verge:hello') {
      const start: StartMessage = { type: 'verge:start', data: options.workerData };
      slot.worker.send(start);
    } else if (message?.type === 'verge:ready') {
      slot.ready = true;
      startFailures = 0;
      url = message.url;
      if (!started && [...slots.values()].every((s) => s.ready) && slots.size === options.workers) {
        started = true;
        settleStart.resolve();
      }
    } else if (message?.type === 'verge:start-failed') {
      slot.startFailure = message;
    }
  };

  const onExit = (slot: Slot, code: number | null, signal: string | null): void => {
    slots.delete(slot.worker.id);
    const pid = slot.worker.process.pid;
    if (stopping) return;
    const uptimeMs = Date.now() - slot.startedAt;
    const failure = slot.startFailure;
    if (!slot.ready && failure?.code !== undefined && LISTEN_ERRORS.has(failure.code) && (failure.syscall === 'listen' || failure.syscall === 'bind')) {
      giveUp(failure.message, failure.code);
      return;
    }
    let delayMs = 0;
    if (!slot.ready) {
      startFailures++;
      const serving = [...slots.values()].some((s) => s.ready);
      if (!serving && startFailures >= maxStartFailures) {
        giveUp(`${startFailures} workers in a row exited before they could serve (the last with ${describeExit(code, signal)}${failure ? `: ${failure.message}` : ''})`);
        return;
      }
      // A worker that cannot start will likely fail again: back off instead of forking in a loop.
      delayMs = Math.min(BACKOFF_START_MS * 2 ** (startFailures - 1), BACKOFF_MAX_MS);
    }
    // Logged once the replacement exists, so the line names both pids.
    setTimeout(() => {
      if (stopping) return;
      const replacement = fork();
      logger.error(
        {
          type: 'worker-replaced',
          pid,
          exitCode: code,
          signal,
          uptimeMs,
          wasServing: slot.ready,
          ...(failure ? { startError: failure.message } : {}),
          replacementPid: replacement.process.pid,
          delayMs,
        },
        slot.ready
          ? `Worker ${pid} exited (${describeExit(code, signal)}); requests in flight on it failed; replaced by worker ${replacement.process.pid}`
          : `Worker ${pid} exited before it could serve (${describeExit(code, signal)}); retried as worker ${replacement.process.pid} after ${delayMs} ms`,
      );
    }, delayMs);
  };

  const giveUp = (why: string, code?: string): void => {
    if (stopping) return;
    logger.fatal({ type: 'workers-cannot-start', reason: why, ...(code ? { code } : {}) }, `Workers cannot start: ${why}`);
    void stop().then(() => {
      if (!started) settleStart.reject(new WorkerStartError(why, code));
      else resolveGaveUp(why);
    });
  };

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping = true;
    stopped ??= Promise.all(
      [...slots.values()].map(({ worker }) => {
        if (worker.isDead()) return undefined;
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), stopTimeoutMs);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          // The worker drains its in-flight requests on SIGTERM, then exits 0.
          worker.process.kill('SIGTERM');
        });
      }),
    ).then(() => undefined);
    return stopped;
  };

  for (let i = 0; i < options.workers; i++) fork();
  return allReady.then(() => {
    const pids = () => [...slots.values()].filter((s) => !s.worker.isDead()).map((s) => s.worker.process.pid!);
    logger.info({ type: 'workers-ready', url, workers: options.workers, pids: pids() }, `Verge supervisor: ${options.workers} worker(s) serving ${url}`);
    return { url, pids, gaveUp, stop };
  });
}

function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code}`;
}
