import { LRUCache } from 'lru-cache';
import { BlankIsolateReserve } from './blank-isolate.ts';
import { IsolateInstance } from './isolate-instance.ts';
import type { FunctionVersion } from './function-version.ts';

export interface IsolatePoolOptions {
  /** Idle warm isolates kept across all versions; the least recently used is disposed past this. */
  readonly maxWarmIsolates: number;
  /** Blank isolates kept ready per memory size, to take isolate creation off cold starts. */
  readonly spareIsolates: number;
}

/**
 * Warm isolates per function version. An isolate serves one invocation at a time (a Lambda execution
 * environment does too), so concurrent calls to one version get their own isolates; idle ones wait in
 * a least-recently-used list and are disposed when they fall off its end.
 */
export class IsolatePool {
  private readonly idleByVersion = new Map<string, IsolateInstance[]>();
  private readonly lru: LRUCache<number, IsolateInstance>;
  private readonly spares: BlankIsolateReserve;

  constructor(options: IsolatePoolOptions) {
    this.spares = new BlankIsolateReserve(options.spareIsolates);
    this.lru = new LRUCache<number, IsolateInstance>({
      max: options.maxWarmIsolates,
      // Only an eviction retires an isolate; `delete` is how acquire() takes one out to use it.
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
    return new IsolateInstance(version, this.spares.take(version.memoryMb, version.runtime), version.timeoutMs, started);
  }

  /** Returns an isolate after its invocation; broken ones are disposed, healthy ones kept warm. */
  release(instance: IsolateInstance): void {
    if (instance.broken || instance.isolate.isDisposed) {
      instance.dispose();
      return;
    }
    let idle = this.idleByVersion.get(instance.version.key);
    if (idle === undefined) {
      idle = [];
      this.idleByVersion.set(instance.version.key, idle);
    }
    idle.push(instance);
    this.lru.set(instance.id, instance);
  }

  /** Disposes the idle isolates of versions no longer in use (after a code change). */
  retire(versionKey: string): void {
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
