import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { installSandboxCore, type Sandbox } from './sandbox/sandbox.ts';
import { LAMBDA_EDGE_MODULES } from './sandbox/module-names.ts';

const BOOTSTRAP_SOURCE = readFileSync(new URL('./lambda-edge.isolate.js', import.meta.url), 'utf8');
const BOOTSTRAP_FILENAME = 'verge:lambda-edge.isolate.js';
/** V8 code cache of the bootstrap, shared by every isolate of this process. */
let bootstrapCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** The smallest heap isolated-vm accepts; a function's own memoryMb is usually far above it. */
const MIN_ISOLATE_MEMORY_MB = 8;

/**
 * An isolate with its context and the bootstrap loaded, but no user code yet. Creating one is most
 * of a cold start (measured: ~1.2 ms for the Isolate, ~0.45 ms for the context, against ~0.45 ms to
 * compile and load a small function), so a few are made ahead of time, off the request path.
 */
export interface BlankIsolate {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** The bootstrap's entry table (lambda-edge.isolate.js). */
  readonly api: ivm.Reference<Record<string, unknown>>;
  readonly memoryMb: number;
  /** The sandbox's core (sandbox/sandbox.ts): registry, host bridge and always-present globals. */
  readonly sandbox: Sandbox;
}

export function createBlankIsolate(memoryMb: number): BlankIsolate {
  const isolate = new ivm.Isolate({ memoryLimit: Math.max(MIN_ISOLATE_MEMORY_MB, memoryMb) });
  try {
    const context = isolate.createContextSync();
    const bootstrap = isolate.compileScriptSync(BOOTSTRAP_SOURCE, {
      filename: BOOTSTRAP_FILENAME,
      ...(bootstrapCache ? { cachedData: bootstrapCache } : { produceCachedData: true }),
    });
    bootstrapCache ??= producedCache(bootstrap);
    const api = bootstrap.runSync(context, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    const sandbox = installSandboxCore(isolate, context, { memoryMb, modules: LAMBDA_EDGE_MODULES });
    const attach = api.getSync('attachSandbox', { reference: true }) as ivm.Reference<(s: unknown) => void>;
    attach.applySync(undefined, [sandbox.sandbox.derefInto()]);
    attach.release();
    return { isolate, context, api, memoryMb, sandbox };
  } catch (err) {
    isolate.dispose();
    throw err;
  }
}

/** isolated-vm sets `cachedData` on a script compiled with produceCachedData (its typings omit it). */
export function producedCache(script: ivm.Script): ivm.ExternalCopy<ArrayBuffer> | undefined {
  return (script as ivm.Script & ivm.CachedDataResult).cachedData;
}

/**
 * Blank isolates kept ready per memory size. `take` hands one over (or makes one on the spot when
 * none is ready) and schedules a refill shortly after, off the current request's path, so the next cold start
 * of a function with that memory size skips isolate creation.
 */
const REFILL_DELAY_MS = 25;

export class BlankIsolateReserve {
  private readonly ready = new Map<number, BlankIsolate[]>();
  private readonly perSize: number;
  private readonly refilling = new Set<number>();
  private closed = false;

  constructor(perSize: number) {
    this.perSize = perSize;
  }

  take(memoryMb: number): BlankIsolate {
    const blank = this.ready.get(memoryMb)?.pop() ?? createBlankIsolate(memoryMb);
    this.scheduleRefill(memoryMb);
    return blank;
  }

  private scheduleRefill(memoryMb: number): void {
    if (this.perSize === 0 || this.refilling.has(memoryMb) || this.closed) return;
    this.refilling.add(memoryMb);
    // Not setImmediate: the request whose cold start took the blank is still in flight, and a refill
    // in the next turn would hold up its origin response for ~1.6 ms. A short timer lets it finish.
    setTimeout(() => {
      this.refilling.delete(memoryMb);
      if (this.closed) return;
      let list = this.ready.get(memoryMb);
      if (list === undefined) this.ready.set(memoryMb, (list = []));
      // One per turn: each takes ~1.6 ms of this thread, so spread them out.
      if (list.length < this.perSize) {
        list.push(createBlankIsolate(memoryMb));
        if (list.length < this.perSize) this.scheduleRefill(memoryMb);
      }
    }, REFILL_DELAY_MS).unref();
  }

  close(): void {
    this.closed = true;
    for (const list of this.ready.values()) for (const b of list) b.isolate.dispose();
    this.ready.clear();
  }
}
