import { LRUCache } from 'lru-cache';
import { BlankIsolateReserve } from './blank-isolate.ts';
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
  /** Versions replaced by a code change: their isolates still in flight are disposed when they finish. */
  private readonly retired = new Set<string>();
  private readonly lru: LRUCache<number, IsolateInstance>;
  private readonly spares: BlankIsolateReserve;
  private readonly options: IsolatePoolOptions;
  private readonly maxWarmBytes: number;

  constructor(options: IsolatePoolOptions) {
    this.options = options;
    this.maxWarmBytes = options.maxWarmMemoryMb * BYTES_PER_MB;
    this.spares = new BlankIsolateReserve(options.spareIsolates);
    this.lru = new LRUCache<number, IsolateInstance>({
      max: options.maxWarmIsolates,
      maxSize: this.maxWarmBytes,
      // Only an eviction retires an isolate; `delete` is how takeWarm() takes one out to use it.
      dispose: (instance, _id, reason) => {
        if (reason === 'delete') return;
        this.removeIdle(instance);
        instance.dispose();
      },
    });
  }

  /** A warm isolate for `version`, or undefined when a cold one must be made. */
  takeWarm(version: FunctionVersion): IsolateInstance | undefined {
    const idle = this.idleByVersion.get(version.key);
    const instance = idle?.pop();
    if (instance === undefined) return undefined;
    this.lru.delete(instance.id);
    return instance;
  }

  /** Creates a cold isolate; throws LambdaExecutionError when the code does not load. */
  create(version: FunctionVersion): IsolateInstance {
    const started = performance.now();
    // A version in use again (a code edit undone: the same hash) is no longer retired.
    if (this.retired.size > 0) this.retired.delete(version.key);
    return new IsolateInstance(version, this.spares.take(version.memoryMb), version.timeoutMs, started);
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
    this.lru.set(instance.id, instance, { size: this.sizeOf(instance) });
    return 'kept';
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
    // lru-cache would silently refuse an entry larger than the whole budget.
    if (this.sizeOf(instance) > this.maxWarmBytes) return 'over-budget';
    return 'kept';
  }

  /** What an idle isolate counts against maxWarmMemoryMb: its heap as last sampled (never 0, lru-cache needs a size). */
  private sizeOf(instance: IsolateInstance): number {
    return Math.max(1, instance.heapSizeBytes);
  }

  /** Idle warm isolates: how many, and the sum of their heap sizes (what maxWarmMemoryMb bounds). */
  stats(): { readonly warmIsolates: number; readonly warmHeapBytes: number; readonly warmByVersion: ReadonlyMap<string, number> } {
    const warmByVersion = new Map<string, number>();
    for (const [key, idle] of this.idleByVersion) warmByVersion.set(key, idle.length);
    return { warmIsolates: this.lru.size, warmHeapBytes: this.lru.calculatedSize, warmByVersion };
  }

  /** Disposes the idle isolates of versions no longer in use (after a code change). */
  retire(versionKey: string): void {
    this.retired.add(versionKey);
    const idle = this.idleByVersion.get(versionKey);
    if (!idle) return;
    this.idleByVersion.delete(versionKey);
    for (const instance of idle) {
      this.lru.delete(instance.id);
      instance.dispose();
    }
  }

  close(): void {
    for (const key of [...this.idleByVersion.keys()]) this.retire(key);
    this.retired.clear();
    this.spares.close();
  }

  private removeIdle(instance: IsolateInstance): void {
    const idle = this.idleByVersion.get(instance.version.key);
    if (!idle) return;
    const i = idle.indexOf(instance);
    if (i !== -1) idle.splice(i, 1);
    if (idle.length === 0) this.idleByVersion.delete(instance.version.key);
  }
}
