/**
 * The supervisor (cluster primary) of `verge serve`: starts one worker process per configured
 * worker, replaces any that dies, and drains them all on shutdown. It handles no request and no
 * connection itself.
 *
 * How the workers share the port: each listens on a socket of its own with SO_REUSEPORT, and the
 * kernel spreads incoming connections among them by a hash of the connection. Measured here with
 * 32 keep-alive connections opened at once (as autocannon and many browsers do), against node:cluster's
 * two shared-socket modes:
 * - SCHED_RR (Node's default on Linux: the primary accepts and hands connections out in turn) splits
 *   them evenly, but a connection handed to a worker the moment it was SIGKILLed stayed open and
 *   unanswered for good (Node's RoundRobinHandle never closes a handle whose handoff went
 *   unacknowledged), where only the dead worker's in-flight requests may *fail*; and the primary
 *   pays an IPC message per connection.
 * - SCHED_NONE (every worker accepts from one shared queue) let one worker take 31 of 32 connections
 *   in one run, 25 of 32 in another: whichever worker wakes first accepts the whole burst.
 * - SO_REUSEPORT split them 16/16, 15/17, 19/13, 11/21 over five runs, with no primary involvement.
 *   Its costs: connections waiting in a worker's own accept queue when it dies are reset with it,
 *   and a worker stuck inside an isolate call keeps receiving its share; both cost only requests
 *   sent to that worker.
 * node:cluster still forks the workers: its IPC channel carries the start and ready messages, and a
 * worker exits by itself when that channel closes, so a killed supervisor leaves no orphans.
 *
 * Why workers at all: isolated-vm can answer a catastrophic allocation inside an isolate by
 * aborting the whole process (V8's fatal OOM handler, see edge-functions/fixtures/
 * heap-oom-aborts-process.js). In a worker that costs only the requests in flight on it.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { RevisionDocument } from '../control/revision-document.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';

/** What a worker tells the supervisor over the IPC channel. */
export type WorkerMessage =
  | { readonly type: 'verge:hello' }
  /** Sent every WORKER_HEARTBEAT_MS from the worker's event loop once it serves (the watchdog's input). */
  | { readonly type: 'verge:heartbeat' }
  | { readonly type: 'verge:ready'; readonly url: string; readonly port: number }
  | { readonly type: 'verge:start-failed'; readonly code?: string; readonly syscall?: string; readonly message: string }
  /** The answer to a `verge:ask` (its askId): a value, or the error's code and message. */
  | { readonly type: 'verge:answer'; readonly askId: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'verge:answer'; readonly askId: number; readonly ok: false; readonly code: string; readonly message: string };

/**
 * What the supervisor may ask a serving worker (`Supervisor.ask`). Answers: `invalidate` → the
 * number of cache entries the worker's HttpCache purged; `apply-revision` (the edge agent runs in
 * the supervisor and hands each document to every worker: cli/worker-revision-target.ts) → the
 * generation the worker serves; `take-health` → its per-version health windows since the last ask.
 */
export type WorkerQuestion =
  | { readonly kind: 'invalidate'; readonly paths: readonly string[]; readonly tags: readonly string[] }
  | { readonly kind: 'apply-revision'; readonly doc: RevisionDocument; readonly codeDir: string }
  | { readonly kind: 'take-health' };

/** A question for one worker; it answers with `verge:answer` and the same askId. */
export interface AskMessage {
  readonly type: 'verge:ask';
  readonly askId: number;
  readonly question: WorkerQuestion;
}

/** One serving worker, as `Supervisor.serving()` lists it. */
export interface ServingWorker {
  readonly pid: number;
  /**
   * Resolves with the worker's answer, or rejects with its error (a VergeError with the worker's
   * code) or WorkerExitedError. No timeout here: a worker that never answers is either stalled (the
   * watchdog kills it, and the answer rejects) or busy, and the caller decides how long to wait.
   */
  ask(question: WorkerQuestion): Promise<unknown>;
}

/** The worker asked exited (or its channel closed) before it answered. */
export class WorkerExitedError extends Error {
  readonly pid: number;
  constructor(pid: number) {
    super(`worker ${pid} exited before it answered`);
    this.name = 'WorkerExitedError';
    this.pid = pid;
  }
}

/**
 * How often a serving worker says it is alive. Cheap (one small IPC message), and far below any
 * sensible `workerStallMs` (at least 1000), so one late message never looks like a stall.
 */
export const WORKER_HEARTBEAT_MS = 500;

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
  readonly host: string;
  /** The port every worker listens on; 0 lets the first worker pick a free one, which the others then share. */
  readonly port: number;
  /** What a worker gets in its start message (its settings, for the given port); plain data that survives IPC. */
  readonly workerData: (port: number) => unknown;
  readonly logger: Logger;
  /** How long a worker may drain on shutdown before it is killed (its own drain is 30 s). */
  readonly stopTimeoutMs?: number;
  /** Consecutive workers that may die before getting ready, with none serving, before the supervisor gives up. */
  readonly maxStartFailures?: number;
  /**
   * How long a worker may take from its fork to `verge:ready` before it is killed and counted as a
   * start failure (a worker that never gets ready must not hang startup, nor hold its slot for good).
   */
  readonly readyTimeoutMs?: number;
  /** Aborting it during startup stops every worker started so far and rejects with its reason. */
  readonly abortSignal?: AbortSignal;
  /**
   * A serving worker silent (no heartbeat, no message) for longer than this is SIGKILLed and replaced
   * (config `workerStallMs`; see docs/config.md for how its default is chosen).
   */
  readonly stallMs: number;
  /** Called each time a worker gets ready (the first ones and every replacement). */
  readonly onReady?: (worker: ServingWorker) => void;
}

export interface Supervisor {
  /** `http://host:port` the workers share. */
  readonly url: string;
  /** The pids of the workers currently running. */
  pids(): number[];
  /** The workers serving now (ready, alive), each to be asked questions over IPC. */
  serving(): ServingWorker[];
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
/**
 * A worker that dies within this long of getting ready died of something that will likely kill its
 * replacement too (a function that aborts its process on every request, under steady traffic): its
 * replacement waits, with a delay that doubles per such death up to QUICK_DEATH_BACKOFF_MAX_MS,
 * rather than being forked at once in a loop (each fork re-reads the config and re-bundles every
 * function). The supervisor never gives up on these: the other workers still serve.
 */
const QUICK_DEATH_MS = 10_000;
const QUICK_DEATH_BACKOFF_MAX_MS = 5_000;
/** Deaths this long apart are not a loop: the backoff starts over. */
const QUICK_DEATH_RESET_MS = 60_000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;

interface Slot {
  worker: Worker;
  readonly startedAt: number;
  ready: boolean;
  /** When it sent `verge:ready` (Date.now()). */
  readyAt?: number;
  readyTimer?: NodeJS.Timeout;
  /** When the worker last sent anything (heartbeats included), on the monotonic clock (performance.now()). */
  lastSeen: number;
  /** Set when the watchdog killed it: how long it had been silent. */
  stalledMs?: number;
  startFailure?: WorkerMessage & { type: 'verge:start-failed' };
  /** Questions sent to it and not answered yet, by askId. */
  readonly asks: Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>;
}

/**
 * Forks the workers and resolves once every one of them listens.
 * @throws WorkerStartError when they cannot start (a port in use, or every attempt dying at startup)
 */
export async function startSupervisor(options: SupervisorOptions): Promise<Supervisor> {
  const { logger } = options;
  const maxStartFailures = options.maxStartFailures ?? 5;
  const stopTimeoutMs = options.stopTimeoutMs ?? 35_000;
  cluster.setupPrimary({
    exec: options.workerScript,
    args: [],
    // isolated-vm needs --no-node-snapshot on Node >= 20 (its README); bin/verge.js gives it to the
    // primary, and workers must have it too.
    execArgv: [...new Set([...process.execArgv, '--no-node-snapshot'])],
  });

  // SO_REUSEPORT would let the workers join another server that also set it on this port (a second
  // Verge, say) and silently split its traffic: bind once without it first, so a port in use is
  // EADDRINUSE as for any server.
  if (options.port !== 0) await checkPortFree(options.host, options.port);

  const slots = new Map<number, Slot>(); // by worker id
  let port = options.port;
  let url = '';
  let stopping = false;
  let startFailures = 0; // consecutive deaths before ready
  let quickDeaths = 0; // deaths within QUICK_DEATH_MS of ready, each within QUICK_DEATH_RESET_MS of the last
  let lastQuickDeathAt = 0;
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let started = false;
  let resolveGaveUp!: (why: string) => void;
  const gaveUp = new Promise<string>((resolve) => (resolveGaveUp = resolve));
  let settleStart!: { resolve: () => void; reject: (err: unknown) => void };
  const allReady = new Promise<void>((resolve, reject) => (settleStart = { resolve, reject }));

  const fork = (): Worker => {
    const worker = cluster.fork();
    const slot: Slot = { worker, startedAt: Date.now(), ready: false, lastSeen: performance.now(), asks: new Map() };
    slots.set(worker.id, slot);
    slot.readyTimer = setTimeout(() => {
      if (slot.ready || worker.isDead()) return;
      slot.startFailure ??= { type: 'verge:start-failed', message: `not ready after ${readyTimeoutMs} ms (killed)` };
      worker.process.kill('SIGKILL');
    }, readyTimeoutMs);
    worker.on('message', (message: WorkerMessage) => onMessage(slot, message));
    worker.on('exit', (code, signal) => onExit(slot, code, signal));
    return worker;
  };

  const onMessage = (slot: Slot, message: WorkerMessage): void => {
    slot.lastSeen = performance.now();
    if (message?.type === 'verge:hello') {
      const start: StartMessage = { type: 'verge:start', data: options.workerData(port) };
      slot.worker.send(start);
    } else if (message?.type === 'verge:ready') {
      slot.ready = true;
      slot.readyAt = Date.now();
      clearTimeout(slot.readyTimer);
      startFailures = 0;
      url = message.url;
      // With port 0 the first worker to listen picks the port; only then can the others join it.
      if (port === 0) {
        port = message.port;
        // Not once stopping (a signal during startup): the others would outlive the stop.
        if (!stopping) for (let i = slots.size; i < options.workers; i++) fork();
      }
      if (!started && [...slots.values()].every((s) => s.ready) && slots.size === options.workers) {
        started = true;
        settleStart.resolve();
      }
      options.onReady?.(servingWorker(slot));
    } else if (message?.type === 'verge:start-failed') {
      slot.startFailure = message;
    } else if (message?.type === 'verge:answer') {
      const pending = slot.asks.get(message.askId);
      slot.asks.delete(message.askId);
      if (message.ok) pending?.resolve(message.value);
      else pending?.reject(new VergeError(message.code, message.message, 'system', { pid: slot.worker.process.pid }));
    }
  };

  let nextAskId = 0;
  const serving = (): ServingWorker[] =>
    [...slots.values()]
      .filter((slot) => slot.ready && !slot.worker.isDead())
      .map((slot) => servingWorker(slot));
  const servingWorker = (slot: Slot): ServingWorker => {
    const pid = slot.worker.process.pid!;
    const ask = (question: WorkerQuestion) =>
      new Promise<unknown>((resolve, reject) => {
        if (!slots.has(slot.worker.id)) return reject(new WorkerExitedError(pid));
        const askId = ++nextAskId;
        slot.asks.set(askId, { resolve, reject });
        const message: AskMessage = { type: 'verge:ask', askId, question };
        slot.worker.send(message, undefined, {}, (err: Error | null) => {
          if (err === null) return;
          slot.asks.delete(askId);
          reject(new WorkerExitedError(pid));
        });
      });
    return { pid, ask };
  };

  const onExit = (slot: Slot, code: number | null, signal: string | null): void => {
    slots.delete(slot.worker.id);
    clearTimeout(slot.readyTimer);
    const pid = slot.worker.process.pid;
    for (const pending of slot.asks.values()) pending.reject(new WorkerExitedError(pid!));
    slot.asks.clear();
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
    } else if (Date.now() - slot.readyAt! < QUICK_DEATH_MS) {
      const now = Date.now();
      if (now - lastQuickDeathAt > QUICK_DEATH_RESET_MS) quickDeaths = 0;
      lastQuickDeathAt = now;
      quickDeaths++;
      delayMs = Math.min(BACKOFF_START_MS * 2 ** (quickDeaths - 1), QUICK_DEATH_BACKOFF_MAX_MS);
    }
    // Logged once the replacement exists, so the line names both pids.
    setTimeout(() => {
      if (stopping) return;
      const replacement = fork();
      if (slot.stalledMs !== undefined) {
        logger.error(
          {
            type: 'worker-stalled',
            pid,
            stalledMs: slot.stalledMs,
            workerStallMs: options.stallMs,
            uptimeMs,
            signal,
            replacementPid: replacement.process.pid,
            delayMs,
          },
          `Worker ${pid} sent no heartbeat for ${slot.stalledMs} ms (workerStallMs ${options.stallMs}): its thread was stuck, so it was killed; requests in flight on it failed; replaced by worker ${replacement.process.pid}`,
        );
        return;
      }
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
          ? `Worker ${pid} exited (${describeExit(code, signal)}); requests in flight on it failed; replaced by worker ${replacement.process.pid}${delayMs > 0 ? ` after ${delayMs} ms (it died within ${QUICK_DEATH_MS / 1000} s of getting ready)` : ''}`
          : `Worker ${pid} exited before it could serve (${describeExit(code, signal)}); retried as worker ${replacement.process.pid} after ${delayMs} ms`,
      );
    }, delayMs);
  };

  // The watchdog. A worker's thread can be held far beyond any timeout by a call V8 cannot interrupt
  // (edge-functions/fixtures/huge-array-fill.js held one for 7-25 s: Array.prototype.fill over
  // dictionary elements runs in C++ without checking V8's interrupts, so neither isolated-vm's timeout
  // nor its memory limit can stop it), and every connection the kernel hands that worker meanwhile
  // waits. A worker that has been serving and goes silent for longer than stallMs is killed and
  // replaced, like a worker that died: its in-flight requests fail, new connections go to the others.
  const checkEveryMs = Math.max(50, Math.min(250, Math.floor(options.stallMs / 4)));
  // The monotonic clock: a wall-clock step (NTP) must neither kill workers nor spare a stuck one.
  let lastCheck = performance.now();
  const watchdog = setInterval(() => {
    const now = performance.now();
    const late = now - lastCheck - checkEveryMs;
    lastCheck = now;
    // The supervisor itself was not running (the machine or the process group was suspended, or
    // the supervisor's own thread was starved): silence from the workers over that time proves
    // nothing about them, so start their clocks again instead of killing them all at once.
    if (late > options.stallMs / 2) {
      for (const slot of slots.values()) slot.lastSeen = now;
      return;
    }
    if (stopping) return;
    for (const slot of slots.values()) {
      if (!slot.ready || slot.stalledMs !== undefined || slot.worker.isDead()) continue;
      const silentMs = now - slot.lastSeen;
      if (silentMs <= options.stallMs) continue;
      slot.stalledMs = Math.round(silentMs);
      // SIGKILL: a stuck thread cannot run a SIGTERM handler, let alone drain.
      slot.worker.process.kill('SIGKILL');
    }
  }, checkEveryMs);
  watchdog.unref();

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
    clearInterval(watchdog);
    stopped ??= Promise.all(
      [...slots.values()].map(({ worker, ready }) => {
        if (worker.isDead()) return undefined;
        return new Promise<void>((resolve) => {
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), stopTimeoutMs);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          // The worker drains its in-flight requests on SIGTERM, then exits 0. One not yet ready has
          // none to drain, and may be stuck starting (even stopped): SIGKILL, which nothing delays.
          worker.process.kill(ready ? 'SIGTERM' : 'SIGKILL');
        });
      }),
    ).then(() => undefined);
    return stopped;
  };

  // A signal during startup (SIGTERM while workers load) stops the workers started so far instead
  // of waiting for them all to get ready.
  const abortSignal = options.abortSignal;
  const onAbort = (): void => {
    if (started) return;
    void stop().then(() => settleStart.reject(abortSignal!.reason));
  };
  if (abortSignal?.aborted) throw abortSignal.reason;
  abortSignal?.addEventListener('abort', onAbort, { once: true });
  void allReady.then(
    () => abortSignal?.removeEventListener('abort', onAbort),
    () => undefined,
  );

  for (let i = 0; i < (port === 0 ? 1 : options.workers); i++) fork();
  return allReady.then(() => {
    const pids = () => [...slots.values()].filter((s) => !s.worker.isDead()).map((s) => s.worker.process.pid!);
    logger.info({ type: 'workers-ready', url, workers: options.workers, pids: pids(), workerStallMs: options.stallMs }, `Verge supervisor: ${options.workers} worker(s) serving ${url}`);
    return { url, pids, serving, gaveUp, stop };
  });
}

/** Throws WorkerStartError (EADDRINUSE, EACCES, …) when host:port cannot be listened on. */
function checkPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(new WorkerStartError(err.message, err.code)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `signal ${signal}` : `exit code ${code}`;
}
