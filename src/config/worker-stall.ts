/**
 * `workerStallMs`: how long a serving worker of `verge serve` may go without a heartbeat before the
 * supervisor kills and replaces it (src/proxy/supervisor.ts, docs/architecture.md "Processes").
 *
 * What legitimately holds a worker's thread, and so what the default must outlast:
 * - a function's first call in a worker runs on that thread, cut at the sync slice (50 ms) and
 *   retried on isolated-vm's thread pool (runtime/invocation.ts): short;
 * - a cold start (loading the code and running its top level) runs synchronously on that thread,
 *   bounded by the function's own timeoutMs (runtime/isolate-instance.ts), up to 30 s for origin
 *   events (lambda-edge-limits.ts).
 * So by default the watchdog waits for the longest timeoutMs of any function plus a 5 s margin (for
 * compiling the code and a loaded machine), and never less than 10 s: it fires only when a call
 * went past every bound the runtime sets itself, i.e. V8 could not interrupt it.
 */
import { z } from 'zod';

export const WORKER_STALL_MIN_MS = 1_000;
export const WORKER_STALL_MAX_MS = 600_000;
const DEFAULT_FLOOR_MS = 10_000;
const DEFAULT_MARGIN_MS = 5_000;

// At least 1 s: heartbeats come every 500 ms, and one late message must not look like a stall.
const RULE = `must be a whole number of milliseconds from ${WORKER_STALL_MIN_MS} to ${WORKER_STALL_MAX_MS}`;

/** Absent means `defaultWorkerStallMs` of the configured functions. */
export const workerStallMsSchema = z.int({ error: RULE }).min(WORKER_STALL_MIN_MS, RULE).max(WORKER_STALL_MAX_MS, RULE).optional();

/** The default for these functions (their resolved timeoutMs). */
export function defaultWorkerStallMs(functions: readonly { readonly timeoutMs: number }[]): number {
  const longest = functions.reduce((max, fn) => Math.max(max, fn.timeoutMs), 0);
  return Math.max(DEFAULT_FLOOR_MS, longest + DEFAULT_MARGIN_MS);
}

/** How much longer than the longest timeoutMs an explicit workerStallMs must be (compiling, a loaded machine). */
export const WORKER_STALL_OVER_TIMEOUT_MS = 1_000;

/**
 * An explicit workerStallMs must outlast every function's timeoutMs by WORKER_STALL_OVER_TIMEOUT_MS:
 * a cold start (its top level) runs synchronously on the worker's thread for up to timeoutMs, and a
 * watchdog firing first would kill a worker doing nothing wrong.
 */
export function workerStallMsProblem(workerStallMs: number | undefined, functions: readonly { readonly name: string; readonly timeoutMs: number }[]): string | undefined {
  if (workerStallMs === undefined || functions.length === 0) return undefined;
  const longest = functions.reduce((max, fn) => (fn.timeoutMs > max.timeoutMs ? fn : max));
  const least = longest.timeoutMs + WORKER_STALL_OVER_TIMEOUT_MS;
  if (workerStallMs >= least) return undefined;
  return `must be at least ${least} (the longest function timeoutMs, ${longest.timeoutMs} of function "${longest.name}", + ${WORKER_STALL_OVER_TIMEOUT_MS}): a cold start runs on the worker's thread for up to its timeoutMs, and the watchdog would kill the worker meanwhile; got ${workerStallMs}`;
}
