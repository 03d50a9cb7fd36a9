import { availableParallelism } from 'node:os';
import { LambdaExecutionError } from '../errors/function-errors.ts';
import { ConcurrencyLimiter } from './concurrency-limiter.ts';
import { Invocation, SyncSliceExceeded, batchResult, type ConsoleSink, type InvocationResult } from './invocation.ts';
import { IsolatePool } from './isolate-pool.ts';
import type { IsolateInstance, WireEvent } from './isolate-instance.ts';
import type { Envelope } from './envelope.ts';
import type { FunctionVersion } from './function-version.ts';

/** What Lambda prints in its REPORT line, measured per invocation. */
export interface InvocationReport {
  readonly durationMs: number;
  /** Lambda bills in 1 ms steps (since December 2020). */
  readonly billedDurationMs: number;
  readonly memorySizeMb: number;
  readonly maxMemoryUsedMb: number;
  /** CPU time the isolate spent on this invocation (isolated-vm's cpuTime). */
  readonly cpuTimeUs: number;
  /** Set on a cold start: how long creating the isolate and loading the code took. */
  readonly initDurationMs: number | undefined;
}

export interface InvokeRequest {
  readonly version: FunctionVersion;
  /** The event on the wire; the isolate builds the Lambda@Edge object from it. */
  readonly event: WireEvent;
  readonly requestId: string;
  readonly onConsole: ConsoleSink;
}

export interface InvokeOutcome {
  readonly result: InvocationResult;
  readonly report: InvocationReport;
}

export interface FunctionRuntimeOptions {
  /** Idle warm isolates kept across all versions (runtime.maxWarmIsolates). */
  readonly maxWarmIsolates: number;
  /** Longest synchronous call made on the node's thread before a version moves to the thread pool. */
  readonly syncSliceMs: number;
  /** Blank isolates kept ready per memory size (default 2); 0 makes every cold start create its own. */
  readonly spareIsolates?: number;
  /** Warm isolates kept per version (default: the core count, and never more). */
  readonly isolatesPerVersion?: number;
  /** Replace an isolate after this many invocations (default 1,000,000; 0 = never). */
  readonly recycleAfterInvocations?: number;
  /** Replace an isolate whose heap use passed this share of memoryMb (default 75). */
  readonly recycleHeapPercent?: number;
  /** Budget over the idle warm isolates' heap sizes (default 2048 MB). */
  readonly maxWarmMemoryMb?: number;
}

const BYTES_PER_MB = 1024 * 1024;
/**
 * Reading an isolate's heap statistics costs ~2.5 µs alone and ~10 µs under load (measured in the
 * bench's edge: 1.5 µs a request when four hooks sampled every 32 calls), so it is sampled at most
 * this often per isolate, besides the first call and any long call. What the samples feed (the
 * REPORT line's Max Memory Used, recycleHeapPercent, maxWarmMemoryMb) needs no finer grain: a call
 * that outgrows memoryMb fails on V8's own limit whatever was sampled.
 */
const HEAP_SAMPLE_INTERVAL_MS = 100;
/** A call this long is followed by a sample whenever the last one was. */
const LONG_CALL_MS = 2;
/** A sync call this many times longer than its slice was not cut at it (a timed-out call ends within a few ms of it). */
const SYNC_OVERRUN_FACTOR = 4;

/**
 * Runs Lambda@Edge handlers in pooled isolates. The one entry point the pipeline uses.
 * @throws LambdaLimitExceededError from invoke() when the function's reserved concurrency is used up.
 */
export class FunctionRuntime {
  private readonly pool: IsolatePool;
  private readonly syncSliceMs: number;
  private readonly concurrency = new ConcurrencyLimiter();

  constructor(options: FunctionRuntimeOptions) {
    this.pool = new IsolatePool({
      maxWarmIsolates: options.maxWarmIsolates,
      maxWarmMemoryMb: options.maxWarmMemoryMb ?? 2048,
      // More than one per core cannot run in parallel on isolated-vm's threads; they would only hold memory.
      isolatesPerVersion: Math.min(options.isolatesPerVersion ?? availableParallelism(), availableParallelism()),
      recycleAfterInvocations: options.recycleAfterInvocations ?? 1_000_000,
      recycleHeapPercent: options.recycleHeapPercent ?? 75,
      spareIsolates: options.spareIsolates ?? 2,
    });
    this.syncSliceMs = options.syncSliceMs;
  }

  invoke(req: InvokeRequest): InvokeOutcome | Promise<InvokeOutcome> {
    const { version } = req;
    this.concurrency.acquire(version);
    try {
      const outcome = this.invokeAdmitted(req);
      if (!(outcome instanceof Promise)) {
        this.concurrency.release(version);
        return outcome;
      }
      return outcome.finally(() => this.concurrency.release(version));
    } catch (err) {
      this.concurrency.release(version);
      throw err;
    }
  }

  private invokeAdmitted(req: InvokeRequest): InvokeOutcome | Promise<InvokeOutcome> {
    const started = performance.now();
    const { version } = req;
    let deadlineMs = started + version.timeoutMs;
    let instance = this.pool.takeWarm(version);
    let initDurationMs: number | undefined;
    if (instance === undefined) {
      try {
        instance = this.pool.create(version);
      } catch (err) {
        return this.loadFailure(err, started, undefined, version);
      }
      initDurationMs = instance.initDurationMs;
      // The limit is on the function's own run, counted from the end of the cold start, as Lambda's
      // timeout does not count its init phase (which has its own limit; here the load is bounded by
      // timeoutMs too, in IsolatePool.create). CloudFront's compute utilization likewise does not
      // count starting the runtime, and its limit is tight enough that a cold start would eat it.
      deadlineMs = performance.now() + version.timeoutMs;
    }
    const run = (inst: IsolateInstance, sync: boolean): InvokeOutcome | Promise<InvokeOutcome> => {
      const cpuBefore = inst.cpuTimeNs();
      const invocation = new Invocation(inst, deadlineMs, req.onConsole);
      inst.invocations++;
      const finish = (result: InvocationResult): InvokeOutcome => {
        const report = this.report(inst, started, cpuBefore, initDurationMs, version);
        this.pool.release(inst);
        return { result, report };
      };
      let pending: InvocationResult | Promise<InvocationResult>;
      const syncStarted = sync ? performance.now() : 0;
      try {
        pending = invocation.run(req.event, sync ? this.syncSliceMs : undefined);
        // A call that held this thread far past its slice was one isolated-vm's timeout could not cut
        // (a V8 builtin that never checks interrupts, e.g. Array.prototype.fill or copyWithin over a
        // huge length: edge-functions/fixtures/huge-array-fill.js held it 7-25 s). Whatever it
        // returned, this version's next calls run on the thread pool, where such a call holds a pool
        // thread but not the node's event loop (the supervisor's watchdog covers this first one).
        if (sync && performance.now() - syncStarted > SYNC_OVERRUN_FACTOR * this.syncSliceMs) version.mode = 'async';
      } catch (err) {
        if (!(err instanceof SyncSliceExceeded)) {
          // Not an outcome Invocation maps: the isolate's state is unknown, so it is not kept.
          inst.dispose();
          this.pool.release(inst);
          throw err;
        }
        // Too slow for the node's thread: from now on this version runs on the pool.
        version.mode = 'async';
        this.pool.release(inst);
        let fresh: IsolateInstance;
        try {
          fresh = this.pool.create(version, false);
        } catch (err) {
          return this.loadFailure(err, started, initDurationMs, version);
        }
        // The re-run's cold start is not the function's run time (Lambda's timeout does not count its
        // init phase): the deadline moves back by it. The slice already spent does count: it was the
        // function's own code, and a call that held the thread past its whole timeout (a builtin V8
        // cannot interrupt) must not get a second full timeout on the pool.
        initDurationMs = (initDurationMs ?? 0) + fresh.initDurationMs;
        deadlineMs += fresh.initDurationMs;
        return run(fresh, false);
      }
      return pending instanceof Promise ? pending.then(finish) : finish(pending);
    };
    return run(instance, version.mode === 'sync');
  }

  /**
   * Runs calls of one version that arrived together (HookRunner batches each event-loop turn's calls
   * per version). Where it can, they run as one batch in one warm isolate, one after another, under one
   * timeout (lambda-edge.isolate.js invokeBatch): the fixed cost of a call into an isolate (entering
   * it, isolated-vm's timeout timer, the poll after microtasks; ~8 µs of CPU under load, measured) is
   * then paid once per batch instead of once per call. Each call keeps its own event, result, logs and
   * REPORT line; a batch's duration and CPU time are shared evenly among the calls it ran.
   *
   * Nothing a batch's calls ask for leaves the isolate except in the envelopes of those that finished
   * (log lines; host operations and timers of a settled call are never started). So a batch that fails
   * (timeout, memory, crash) is discarded with its isolate and every call runs again on its own, where
   * the one at fault fails alone; and the calls after one that failed, or that still waits for a timer
   * or the network (its isolate discarded too, it starts again), run on their own. A version whose
   * batch failed or waited runs one call at a time for good, as a version too slow for the sync slice
   * goes async for good. A batch counts as one call in flight against reserved concurrency; throttled
   * calls come back as rejected promises.
   */
  invokeMany(reqs: readonly InvokeRequest[]): Array<InvokeOutcome | Promise<InvokeOutcome>> {
    const version = reqs[0]?.version;
    const single = (req: InvokeRequest): InvokeOutcome | Promise<InvokeOutcome> => {
      try {
        return this.invoke(req);
      } catch (err) {
        return Promise.reject(err);
      }
    };
    if (version === undefined || reqs.length < 2 || !version.batch || version.mode !== 'sync') return reqs.map(single);
    const instance = this.pool.takeWarm(version);
    // A cold start makes one isolate for one call first; batches begin once the version is warm.
    if (instance === undefined) return reqs.map(single);
    // One execution environment runs the batch's calls one after another: one unit of concurrency, as
    // when the same calls run one at a time on this thread. Refused, each call asks on its own.
    try {
      this.concurrency.acquire(version);
    } catch {
      this.pool.release(instance);
      return reqs.map(single);
    }
    const out: Array<InvokeOutcome | Promise<InvokeOutcome>> = new Array(reqs.length);
    const started = performance.now();
    const cpuBefore = instance.cpuTimeNs();
    let finished: Envelope[] = [];
    try {
      finished = instance.invokeBatchSync(reqs.map((r) => r.event), Math.min(this.syncSliceMs, version.timeoutMs));
    } catch {
      instance.dispose();
      version.batch = false;
    }
    const elapsedMs = performance.now() - started;
    if (elapsedMs > SYNC_OVERRUN_FACTOR * this.syncSliceMs) version.mode = 'async';
    if (finished.length > 0) {
      instance.invocations += finished.length;
      sampleHeapIfDue(instance, elapsedMs);
    }
    const durationMs = elapsedMs / Math.max(1, finished.length);
    const cpuTimeUs = Number(instance.cpuTimeNs() - cpuBefore) / 1000 / Math.max(1, finished.length);
    this.concurrency.release(version);
    this.batchCounts.batches++;
    this.batchCounts.calls += finished.length;
    // The calls share the batch's figures evenly, so they share one (read-only) report.
    const report = reportOf(instance, version, durationMs, cpuTimeUs, undefined);
    for (let i = 0; i < finished.length; i++) out[i] = { result: batchResult(instance, finished[i]!, reqs[i]!.onConsole), report };
    if (finished.length < reqs.length && !instance.broken) {
      // It stopped at a call that still waits: that call starts again elsewhere, so nothing it asked
      // for may run here.
      instance.dispose();
      version.batch = false;
    }
    this.pool.release(instance);
    // The calls the batch did not finish run on their own.
    for (let i = finished.length; i < reqs.length; i++) out[i] = single(reqs[i]!);
    return out;
  }

  /** Batches run (each one call into an isolate) and the calls they finished; for tests, the bench and (later) metrics. */
  readonly batchCounts = { batches: 0, calls: 0 };

  /** Idle warm isolates and in-flight counts, for tests, benchmarks and (later) metrics. */
  stats(): ReturnType<IsolatePool['stats']> {
    return this.pool.stats();
  }

  /** Invocations of a function with reserved concurrency in flight now. */
  inFlightOf(functionName: string): number {
    return this.concurrency.inFlightOf(functionName);
  }

  /** The outcome of a call whose isolate could not be made: the code did not load. */
  private loadFailure(err: unknown, started: number, initDurationMs: number | undefined, version: FunctionVersion): InvokeOutcome {
    const error = err instanceof LambdaExecutionError ? err : new LambdaExecutionError('VERGE_ERR_FUNCTION_LOAD', String(err));
    return { result: { ok: false, error }, report: this.report(undefined, started, 0n, initDurationMs, version) };
  }

  private report(
    instance: IsolateInstance | undefined,
    started: number,
    cpuBefore: bigint,
    initDurationMs: number | undefined,
    version: FunctionVersion,
  ): InvocationReport {
    const durationMs = performance.now() - started - (initDurationMs ?? 0);
    const cpuAfter = instance ? instance.cpuTimeNs() : 0n;
    if (instance) sampleHeapIfDue(instance, durationMs);
    return reportOf(instance, version, durationMs, cpuAfter > cpuBefore ? Number(cpuAfter - cpuBefore) / 1000 : 0, initDurationMs);
  }

  /** Loads a version into a warm isolate ahead of its first request; throws if its code does not load. */
  prewarm(version: FunctionVersion): void {
    const instance = this.pool.create(version);
    // Its heap size is what it counts against maxWarmMemoryMb.
    instance.sampleHeap();
    this.pool.release(instance);
  }

  /** Drops warm isolates of a version that was replaced. */
  retire(versionKey: string): void {
    this.pool.retire(versionKey);
  }

  close(): void {
    this.pool.close();
  }
}

/** Samples the isolate's heap on its first call, after a long call, and otherwise every HEAP_SAMPLE_INTERVAL_MS. */
function sampleHeapIfDue(instance: IsolateInstance, callMs: number): void {
  if (callMs > LONG_CALL_MS || performance.now() - instance.heapSampledAtMs >= HEAP_SAMPLE_INTERVAL_MS) instance.sampleHeap();
}

/** A REPORT line's figures from a duration and CPU time: Lambda bills in 1 ms steps; Max Memory Used is the isolate's sampled peak. */
function reportOf(instance: IsolateInstance | undefined, version: FunctionVersion, durationMs: number, cpuTimeUs: number, initDurationMs: number | undefined): InvocationReport {
  return {
    durationMs,
    billedDurationMs: Math.max(1, Math.ceil(durationMs)),
    memorySizeMb: version.memoryMb,
    maxMemoryUsedMb: instance ? Math.ceil(instance.maxUsedHeapBytes / BYTES_PER_MB) : 0,
    cpuTimeUs,
    initDurationMs,
  };
}
