import { LambdaExecutionError } from '../errors/function-errors.ts';
import { thrownInfo, type Envelope } from './envelope.ts';
import { HostOps, maxResponseBytesFor } from './host-ops.ts';
import type { OpOutcome } from './op-outcome.ts';
import type { IsolateInstance, WireEvent } from './isolate-instance.ts';

/** How an invocation ended, before the pipeline validates the value against the event's rules. */
export type InvocationResult =
  | { readonly ok: true; /** The result on the wire (see lambda-edge.isolate.js). */ readonly value: string }
  | { readonly ok: false; readonly error: LambdaExecutionError | ShapeFailure };

/** The result is not a request/response object, or cannot be serialised: a validation error. */
export interface ShapeFailure {
  readonly shape: true;
  readonly message: string;
}

export interface ConsoleSink {
  (level: string, line: string): void;
}

/** A sync call that outlived the slice: the caller re-runs it asynchronously on a fresh isolate. */
export class SyncSliceExceeded extends Error {}

const TIMED_OUT = /Script execution timed out/;
const FORGED_HOST_OPS = 'it asked the host for operations (fetch, crypto.subtle) that this function was not given';

/**
 * Host operations from an isolate that was never given fetch or crypto.subtle can only be forged by
 * user code (e.g. through Object.prototype): they are refused and the isolate treated as crashed.
 */
function forgedHostOps(instance: IsolateInstance, env: Envelope): boolean {
  return (env.o.length > 0 || env.a.length > 0) && !instance.hostOpsAllowed;
}

/** The outcome a settled envelope (R, E or V) stands for. */
function settledResult(instance: IsolateInstance, env: Envelope): InvocationResult {
  if (env.s === 'R') return { ok: true, value: env.payload };
  // A failed invocation may have left the isolate's globals half-updated: the next request gets a
  // fresh isolate (the pool disposes broken ones instead of keeping them warm).
  instance.broken = true;
  if (env.s === 'V') return { ok: false, error: { shape: true, message: env.payload } };
  const info = thrownInfo(env.payload);
  return {
    ok: false,
    error: new LambdaExecutionError('VERGE_ERR_FUNCTION_THREW', `${info.name}: ${info.message}`, { stack: info.stack }),
  };
}

/**
 * The result of an invocation a batch ran (FunctionRuntime.invokeMany), from its envelope, read after
 * the batch call's microtasks had run: its log lines go to `onConsole`. A batch hands back settled
 * invocations only (nothing was started for them: no timers, no host operations), so none of
 * Invocation's machinery is needed; a pending envelope here would be the isolate's fault, and
 * fails the invocation like any other crash.
 */
export function batchResult(instance: IsolateInstance, env: Envelope, onConsole: ConsoleSink): InvocationResult {
  for (const [level, line] of env.l) onConsole(level, line);
  if (forgedHostOps(instance, env)) return crashed(instance, FORGED_HOST_OPS);
  if (env.s === 'P') return crashed(instance, 'a batch handed back an invocation that had not settled');
  return settledResult(instance, env);
}

/** The isolate is disposed and the invocation fails as crashed (Invocation.fail's last resort, and a batch's). */
function crashed(instance: IsolateInstance, message: string): InvocationResult {
  instance.dispose();
  return { ok: false, error: new LambdaExecutionError('VERGE_ERR_FUNCTION_CRASHED', `The function's isolate failed: ${message}`) };
}

/**
 * Drives one invocation on one isolate to its end: the first call, then timers and host operations
 * (fetch, crypto.subtle: host-ops.ts), all under one
 * wall-clock deadline that holds across awaits (isolated-vm's own `timeout` covers only the
 * synchronous part of one call). On any overrun the isolate is disposed, never reused.
 */
export class Invocation {
  private readonly instance: IsolateInstance;
  private readonly deadlineMs: number;
  private readonly onConsole: ConsoleSink;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** fetch / crypto.subtle calls in flight, made on the first one. */
  private ops: HostOps | undefined;
  private settle: ((r: InvocationResult) => void) | undefined;
  /** No more calls into the isolate: the invocation settled, failed or timed out. */
  private done = false;
  private resolved = false;
  /**
   * A call into the isolate is in flight on the thread pool. Calls are issued one at a time: a second
   * async call queued on the same isolate would hold its lock while running user code, and the
   * synchronous poll after the first one returns would then wait for that lock on the main thread,
   * stalling the node's event loop for as long as the user code runs (issue 3 review).
   */
  private calling = false;
  /** Timer fires and operation settlements waiting for the call in flight to return. */
  private readonly queued: (() => Promise<Envelope>)[] = [];

  constructor(instance: IsolateInstance, deadlineMs: number, onConsole: ConsoleSink) {
    this.instance = instance;
    this.deadlineMs = deadlineMs;
    this.onConsole = onConsole;
  }

  /**
   * Runs the handler. With `syncSliceMs`, the first call runs on this thread for at most that long and
   * throws SyncSliceExceeded past it (nothing escaped the isolate: logs and timers are only handed back
   * with the envelope), so the caller can re-run it without a visible trace.
   */
  run(event: WireEvent, syncSliceMs: number | undefined): InvocationResult | Promise<InvocationResult> {
    const remaining = this.remainingMs();
    if (syncSliceMs !== undefined) {
      const slice = Math.min(remaining, syncSliceMs);
      let env: Envelope;
      try {
        env = this.instance.invokeSync(event, slice);
      } catch (err) {
        if (slice < remaining && err instanceof Error && TIMED_OUT.test(err.message) && !this.instance.isolate.isDisposed) {
          this.instance.dispose();
          throw new SyncSliceExceeded();
        }
        return this.fail(err);
      }
      return this.step(env) ?? this.wait();
    }
    // On the thread pool the deadline is armed before the first call returns: isolated-vm's own
    // timeout only takes effect at V8's interrupt checks, which some builtins never reach
    // (`copyWithin` over a huge array-like runs for a minute), and the request must not wait for them.
    const pending = this.wait();
    this.call(() => this.instance.invokeAsync(event, remaining));
    return pending;
  }

  /**
   * Takes in the envelope of one call. An entry builds its envelope before the call's microtasks run
   * (isolated-vm runs them when the call returns), so a promise the call resolved (an async handler
   * that awaited nothing real, a timer callback resolving an await) shows as pending: one cheap poll
   * reads the state after them.
   */
  private step(env: Envelope): InvocationResult | undefined {
    const result = this.absorb(env);
    if (result !== undefined || this.done) return result;
    let after: Envelope;
    try {
      after = this.instance.poll();
    } catch (err) {
      return this.fail(err);
    }
    return this.absorb(after);
  }

  private remainingMs(): number {
    return Math.max(1, Math.ceil(this.deadlineMs - performance.now()));
  }

  /** Applies an envelope's side requests; returns the result when settled, undefined while pending. */
  private absorb(env: Envelope): InvocationResult | undefined {
    for (const [level, line] of env.l) this.onConsole(level, line);
    if (forgedHostOps(this.instance, env)) return this.fail(new Error(FORGED_HOST_OPS));
    if (env.s === 'P') {
      for (const id of env.c) {
        clearTimeout(this.timers.get(id));
        this.timers.delete(id);
      }
      for (const [id, delayMs] of env.t) {
        const handle = setTimeout(() => this.fire(id), Math.max(0, delayMs));
        this.timers.set(id, handle);
      }
      if (env.o.length > 0 || env.a.length > 0) this.hostOps().start(env.o, env.a);
      return undefined;
    }
    this.cleanup();
    return settledResult(this.instance, env);
  }

  /** Pending: wait for timers to settle it, or for the deadline to end it. */
  private wait(): Promise<InvocationResult> {
    return new Promise((resolve) => {
      this.settle = resolve;
      this.deadlineTimer = setTimeout(() => this.finish(this.timeout()), Math.max(0, this.deadlineMs - performance.now()));
    });
  }

  private fire(timerId: number): void {
    this.timers.delete(timerId);
    if (this.done) return;
    this.call(() => this.instance.fireTimer(timerId, this.remainingMs()));
  }

  private hostOps(): HostOps {
    if (this.ops === undefined) {
      const v = this.instance.version;
      const limits = { maxSubrequests: v.maxSubrequests, maxResponseBytes: maxResponseBytesFor(v.memoryMb) };
      this.ops = new HostOps(this.instance, limits, (id, outcome) => this.settleOp(id, outcome), (message) => this.onConsole('warn', `[verge] ${message}`));
    }
    return this.ops;
  }

  /** A host operation finished: hand its result in, then read the state as after a timer. */
  private settleOp(id: number, outcome: OpOutcome): void {
    if (this.done) return;
    this.call(() => this.instance.settleOp(id, outcome.ok, outcome.json, outcome.bytes, this.remainingMs()));
  }

  /** Makes an async call into the isolate now, or when the call in flight has returned. */
  private call(make: () => Promise<Envelope>): void {
    if (this.calling) {
      this.queued.push(make);
      return;
    }
    this.calling = true;
    this.resume(make());
  }

  /** Reads the envelope of an async call (the first on the thread pool, a timer fired, an operation settled), unless the invocation ended meanwhile; then issues the next queued call. */
  private resume(call: Promise<Envelope>): void {
    call.then(
      (env) => {
        this.calling = false;
        if (this.done) return;
        const result = this.step(env);
        if (result) this.finish(result);
        else this.next();
      },
      (err) => {
        this.calling = false;
        if (!this.done) this.finish(this.fail(err));
      },
    );
  }

  private next(): void {
    const make = this.queued.shift();
    if (make !== undefined && !this.done) this.call(make);
  }

  private finish(result: InvocationResult): void {
    if (this.resolved) return;
    this.resolved = true;
    this.cleanup();
    this.settle?.(result);
  }

  private timeout(): InvocationResult {
    this.instance.dispose();
    const ms = this.instance.version.timeoutMs;
    return { ok: false, error: new LambdaExecutionError('VERGE_ERR_FUNCTION_TIMEOUT', `The function did not finish within its timeout of ${ms} ms`) };
  }

  /** Maps an exception out of isolated-vm (timeout, memory limit, crash) to an execution error. */
  private fail(err: unknown): InvocationResult {
    this.cleanup();
    const message = err instanceof Error ? err.message : String(err);
    const isolate = this.instance.isolate;
    if (TIMED_OUT.test(message)) return this.timeout();
    if (isolate.isDisposed && /memory limit/i.test(message)) {
      this.instance.dispose();
      return {
        ok: false,
        error: new LambdaExecutionError('VERGE_ERR_FUNCTION_MEMORY', `The function exceeded its memory limit of ${this.instance.version.memoryMb} MB`),
      };
    }
    return crashed(this.instance, message);
  }

  private cleanup(): void {
    this.done = true;
    this.queued.length = 0;
    for (const handle of this.timers.values()) clearTimeout(handle);
    this.timers.clear();
    this.ops?.close();
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
  }
}
