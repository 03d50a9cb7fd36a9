import { BlankIsolateReserve } from './blank-isolate.ts';
import { CodeCacheProducer } from './code-cache.ts';
import { IsolateInstance } from './isolate-instance.ts';
import type { FunctionVersion } from './function-version.ts';

export interface IsolatePoolOptions {
  /** Idle warm isolates kept across all versions; the least recently used is disposed past this. */
  readonly maxWarmIsolates: number;
  /** Budget over the idle isolates' heap sizes (last sample), least recently used disposed past it. */
  readonly maxWarmMemoryMb: number;
  /** Idle isolates kept per version: the rest of a burst's isolates are disposed when they finish. */
  readonly isolatesPerVersion: number;
  /** An isolate is disposed after this many invocations instead of being kept warm; 0 = never. */
  readonly recycleAfterInvocations: number;
  /** An isolate whose last sampled heap use is above this share of its memoryMb is disposed, not kept; 0 = never. */
  readonly recycleHeapPercent: number;
  /** Blank isolates kept ready per memory size, to take isolate creation off cold starts. */
  readonly spareIsolates: number;
}

/** Why release() did not keep an isolate warm; 'kept' when it did. */
export type ReleaseOutcome = 'kept' | 'broken' | 'retired' | 'recycled-invocations' | 'recycled-heap' | 'pool-full' | 'over-budget';

const BYTES_PER_MB = 1024 * 1024;

/**
 * Warm isolates per function version. An isolate serves one invocation at a time (a Lambda execution
 * environment does too), so concurrent calls to one version get their own isolates; at most
 * `isolatesPerVersion` of them stay warm afterwards. Idle isolates of all versions share one
 * least-recently-used list, bounded by a count and by the sum of their heap sizes, and are disposed
 * when they fall off its end.
 */
export class IsolatePool {
  private readonly idleByVersion = new Map<string, IsolateInstance[]>();
  /**
   * Every idle isolate with the size it counts, least recently released first (a Map iterates in
   * insertion order). Not lru-cache: emptying an lru-cache clears its preallocated arrays, and a node
   * serving one function empties the list on every call (take, then release): measured 2.2 µs a call
   * with 1,000 slots, against ~0.1 µs for this Map.
   */
  private readonly idleOrder = new Map<IsolateInstance, number>();
  private idleBytes = 0;
  /** Versions replaced by a code change: their isolates still in flight are disposed when they finish. */
  private readonly retired = new Set<string>();
  private readonly spares: BlankIsolateReserve;
  /** Makes each version's V8 code cache outside the isolates that serve it (code-cache.ts says why). */
  readonly codeCaches = new CodeCacheProducer();
  private readonly options: IsolatePoolOptions;
  private readonly maxWarmBytes: number;

  constructor(options: IsolatePoolOptions) {
    this.options = options;
    this.maxWarmBytes = options.maxWarmMemoryMb * BYTES_PER_MB;
    this.spares = new BlankIsolateReserve(options.spareIsolates);
  }

  /** A warm isolate for `version`, or undefined when a cold one must be made. */
  takeWarm(version: FunctionVersion): IsolateInstance | undefined {
    const idle = this.idleByVersion.get(version.key);
    const instance = idle?.pop();
    if (instance === undefined) return undefined;
    this.forget(instance);
    return instance;
  }

  /**
   * Creates a cold isolate; throws LambdaExecutionError when the code does not load. `revive`: a
   * version in use again (a code edit undone: the same hash) is no longer retired. A retry of a request
   * already under way (function-runtime.ts, the sync slice) passes false: it does not mean the version
   * is current again.
   */
  create(version: FunctionVersion, revive = true): IsolateInstance {
    const started = performance.now();
    if (revive && this.retired.size > 0) this.retired.delete(version.key);
    const instance = new IsolateInstance(version, this.spares.take(version.memoryMb, version.runtime), version.timeoutMs, started);
    if (instance.uncachedScript !== undefined) {
      this.codeCaches.request(version, instance.uncachedScript);
      instance.uncachedScript = undefined;
    }
    return instance;
  }

  /** Returns an isolate after its invocation; broken, worn or surplus ones are disposed, the rest kept warm. */
  release(instance: IsolateInstance): ReleaseOutcome {
    const outcome = this.keepOrWhy(instance);
    if (outcome !== 'kept') {
      instance.dispose();
      return outcome;
    }
    let idle = this.idleByVersion.get(instance.version.key);
    if (idle === undefined) {
      idle = [];
      this.idleByVersion.set(instance.version.key, idle);
    }
    idle.push(instance);
    const size = this.sizeOf(instance);
    this.idleOrder.set(instance, size);
    this.idleBytes += size;
    if (this.idleOrder.size > this.options.maxWarmIsolates || this.idleBytes > this.maxWarmBytes) this.evictOverBudget();
    return 'kept';
  }

  /** Disposes the least recently released idle isolates until the rest fit both budgets. */
  private evictOverBudget(): void {
    for (const oldest of this.idleOrder.keys()) {
      if (this.idleOrder.size <= this.options.maxWarmIsolates && this.idleBytes <= this.maxWarmBytes) return;
      this.forget(oldest);
      this.removeIdle(oldest);
      oldest.dispose();
    }
  }

  /** Takes an isolate off the idle order (it is being used, or disposed). */
  private forget(instance: IsolateInstance): void {
    const size = this.idleOrder.get(instance);
    if (size === undefined) return;
    this.idleOrder.delete(instance);
    this.idleBytes -= size;
  }

  private keepOrWhy(instance: IsolateInstance): ReleaseOutcome {
    const o = this.options;
    if (instance.broken || instance.isolate.isDisposed) return 'broken';
    if (this.retired.size > 0 && this.retired.has(instance.version.key)) return 'retired';
    // Lambda too replaces execution environments from time to time; a fresh isolate sheds slow leaks.
    if (o.recycleAfterInvocations > 0 && instance.invocations >= o.recycleAfterInvocations) return 'recycled-invocations';
    // Replaced before the heap reaches memoryMb, where the next invocation would fail instead.
    if (o.recycleHeapPercent > 0 && instance.heapUsedBytes > (instance.version.memoryMb * BYTES_PER_MB * o.recycleHeapPercent) / 100) return 'recycled-heap';
    if ((this.idleByVersion.get(instance.version.key)?.length ?? 0) >= o.isolatesPerVersion) return 'pool-full';
    // It would only evict every other isolate and then itself.
    if (this.sizeOf(instance) > this.maxWarmBytes) return 'over-budget';
    return 'kept';
  }

  /** What an idle isolate counts against maxWarmMemoryMb: its heap as last sampled. */
  private sizeOf(instance: IsolateInstance): number {
    return instance.heapSizeBytes;
  }

  /** Idle warm isolates: how many, and the sum of their heap sizes (what maxWarmMemoryMb bounds). */
  stats(): { readonly warmIsolates: number; readonly warmHeapBytes: number; readonly warmByVersion: ReadonlyMap<string, number> } {
    const warmByVersion = new Map<string, number>();
    for (const [key, idle] of this.idleByVersion) warmByVersion.set(key, idle.length);
    return { warmIsolates: this.idleOrder.size, warmHeapBytes: this.idleBytes, warmByVersion };
  }

  /** Disposes the idle isolates of versions no longer in use (after a code change). */
  retire(versionKey: string): void {
    this.retired.add(versionKey);
    const idle = this.idleByVersion.get(versionKey);
    if (!idle) return;
    this.idleByVersion.delete(versionKey);
    for (const instance of idle) {
      this.forget(instance);
      instance.dispose();
    }
  }

  close(): void {
    for (const key of [...this.idleByVersion.keys()]) this.retire(key);
    this.retired.clear();
    this.spares.close();
    this.codeCaches.close();
  }

  private removeIdle(instance: IsolateInstance): void {
    const idle = this.idleByVersion.get(instance.version.key);
    if (!idle) return;
    const i = idle.indexOf(instance);
    if (i !== -1) idle.splice(i, 1);
    if (idle.length === 0) this.idleByVersion.delete(instance.version.key);
  }
}
