import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import type { FunctionRuntime } from '../config/types.ts';
import { installSandboxCore, installSandboxCoreAsync, type Sandbox } from './sandbox/sandbox.ts';
import { CLOUDFRONT_FUNCTIONS_MODULES, LAMBDA_EDGE_MODULES } from './sandbox/module-names.ts';
import { bootstrapCode } from './sandbox/sandbox-units.ts';
import { packEvent } from './isolate-instance.ts';

/** One bootstrap per runtime (the file that runs inside each isolate), bundled once with the isolate core it shares. */
const BOOTSTRAP_FILES: Readonly<Record<FunctionRuntime, string>> = {
  'nodejs-edge': 'lambda-edge.isolate.js',
  'cloudfront-js-2.0': 'cloudfront-functions.isolate.js',
};
const BOOTSTRAP_SOURCES = new Map<FunctionRuntime, string>();
/** V8 code cache of each bootstrap, shared by every isolate of this process. */
const bootstrapCaches = new Map<FunctionRuntime, ivm.ExternalCopy<ArrayBuffer> | undefined>();

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
  /** The bootstrap's entry table (lambda-edge.isolate.js or cloudfront-functions.isolate.js). */
  readonly api: ivm.Reference<Record<string, unknown>>;
  readonly memoryMb: number;
  /** The sandbox's core (sandbox/sandbox.ts): registry, host bridge and always-present globals. */
  readonly sandbox: Sandbox;
}

/** The bootstrap's file name and bundled source (bundled on first use, once per process). */
function bootstrapFor(runtime: FunctionRuntime): { readonly filename: string; readonly source: string } {
  const file = BOOTSTRAP_FILES[runtime];
  let source = BOOTSTRAP_SOURCES.get(runtime);
  if (source === undefined) BOOTSTRAP_SOURCES.set(runtime, (source = bootstrapCode(fileURLToPath(new URL(`./${file}`, import.meta.url)))));
  return { filename: `verge:${file}`, source };
}

function newIsolate(memoryMb: number): ivm.Isolate {
  return new ivm.Isolate({ memoryLimit: Math.max(MIN_ISOLATE_MEMORY_MB, memoryMb) });
}

function sandboxOptions(memoryMb: number, runtime: FunctionRuntime) {
  return { memoryMb, modules: runtime === 'cloudfront-js-2.0' ? CLOUDFRONT_FUNCTIONS_MODULES : LAMBDA_EDGE_MODULES };
}

export function createBlankIsolate(memoryMb: number, runtime: FunctionRuntime = 'nodejs-edge'): BlankIsolate {
  const isolate = newIsolate(memoryMb);
  try {
    const context = isolate.createContextSync();
    const { filename, source } = bootstrapFor(runtime);
    const cache = bootstrapCaches.get(runtime);
    const bootstrap = isolate.compileScriptSync(source, { filename, ...(cache ? { cachedData: cache } : {}) });
    const api = bootstrap.runSync(context, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    const sandbox = installSandboxCore(isolate, context, sandboxOptions(memoryMb, runtime));
    const attach = api.getSync('attachSandbox', { reference: true }) as ivm.Reference<(s: unknown) => void>;
    attach.applySync(undefined, [sandbox.sandbox.derefInto()]);
    attach.release();
    if (cache === undefined) {
      // V8's code cache holds only the functions compiled when it is made. Made now, after the
      // bootstrap ran, it includes the functions its top level called (primordials, the core's setup)
      // and attachSandbox: compiling the same source again finds the script in this isolate's
      // compilation cache with those compiled, so later isolates do not compile them again.
      const again = isolate.compileScriptSync(source, { filename, produceCachedData: true });
      bootstrapCaches.set(runtime, producedCache(again));
      again.release();
      warmBootstrapCache(runtime, source, filename);
    }
    return { isolate, context, api, memoryMb, sandbox };
  } catch (err) {
    isolate.dispose();
    throw err;
  }
}

/**
 * createBlankIsolate with every step but `new ivm.Isolate` on isolated-vm's thread pool, for the
 * reserve's refills: measured on the main thread, a blank costs ~2.2 ms synchronously (Isolate ~0.9,
 * context ~0.4, bootstrap ~0.3, sandbox core ~0.3) against ~0.9 ms this way. V8 creates an isolate
 * only on the calling thread, and isolated-vm has no asynchronous constructor, so that part stays.
 * The first blank of a process and runtime, which makes the bootstrap's code cache, is made
 * synchronously.
 */
export async function createBlankIsolateAsync(memoryMb: number, runtime: FunctionRuntime = 'nodejs-edge'): Promise<BlankIsolate> {
  const cache = bootstrapCaches.get(runtime);
  if (cache === undefined) return createBlankIsolate(memoryMb, runtime);
  const isolate = newIsolate(memoryMb);
  try {
    const context = await isolate.createContext();
    const { filename, source } = bootstrapFor(runtime);
    const bootstrap = await isolate.compileScript(source, { filename, cachedData: cache });
    const api = (await bootstrap.run(context, { reference: true })) as ivm.Reference<Record<string, unknown>>;
    const sandbox = await installSandboxCoreAsync(isolate, context, sandboxOptions(memoryMb, runtime));
    const attach = (await api.get('attachSandbox', { reference: true })) as ivm.Reference<(s: unknown) => void>;
    await attach.apply(undefined, [sandbox.sandbox.derefInto()]);
    attach.release();
    return { isolate, context, api, memoryMb, sandbox };
  } catch (err) {
    if (!isolate.isDisposed) isolate.dispose();
    throw err;
  }
}

/**
 * The cache above still leaves each cold start compiling the invocation path (invoke, the event, the
 * result's encoding, the envelope) on its first call. So right after the first isolate of a process
 * and runtime (which bundles the bootstrap too, and usually comes at start), a scratch isolate loads a
 * small handler, runs one invocation through the bootstrap, and compiles the bootstrap again: the
 * cache made then holds those functions too (~5 ms once; as sandbox.ts does for the units). Not on a
 * timer: a later turn would land in the middle of serving, where it holds up warm calls instead.
 */
const WARM_HANDLERS: Readonly<Record<FunctionRuntime, string>> = {
  'nodejs-edge': `(function (exports) { exports.handler = async (event) => { console.log('%s %d', 'warm', 1, {}); return event.Records[0].cf.request; }; })`,
  'cloudfront-js-2.0': `(function () { function handler(event) { console.log('warm', {}); return event.request; } return handler; })`,
};
// The wire's event scalars (pipeline/cf-wire.ts) and request headers, for the warm-up invocation only.
const WARM_EVENT = ['viewer-request', 'warm', '0', 'warm.invalid', 'WARM', '127.0.0.1', 'GET', '/', 'a=1&b=2', '', '', '', ''].join('\n');
const WARM_HEADERS = 'Host\nwarm.invalid\nAccept\n*/*\nCookie\na=1; b=2';

function warmBootstrapCache(runtime: FunctionRuntime, source: string, filename: string): void {
  let scratch: BlankIsolate;
  try {
    scratch = createBlankIsolate(MIN_ISOLATE_MEMORY_MB, runtime);
  } catch {
    return; // only an optimisation: the cache made by the first isolate stays in use
  }
  const { isolate, context, api } = scratch;
  try {
    const entry = (name: string) => api.getSync(name, { reference: true }) as ivm.Reference<(...args: unknown[]) => string>;
    const handler = isolate.compileScriptSync(WARM_HANDLERS[runtime]).runSync(context, { reference: true }) as ivm.Reference<unknown>;
    entry('initCommonJs').applySync(undefined, [handler.derefInto(), '/warm.js'], { timeout: 1000 });
    const first = entry('invoke').applySync(undefined, [packEvent({ meta: WARM_EVENT, requestHeaders: WARM_HEADERS, responseHeaders: '' })], { timeout: 1000 });
    const settled = first[0] === 'P' ? entry('poll').applySync(undefined, [], { timeout: 1000 }) : first;
    // A warm-up that did not produce a result exercised the wrong path: keep the cache there is.
    if (settled[0] !== 'R') return;
    const again = isolate.compileScriptSync(source, { filename, produceCachedData: true });
    const cache = producedCache(again);
    if (cache !== undefined) bootstrapCaches.set(runtime, cache);
  } catch {
    // Only an optimisation, as above.
  } finally {
    isolate.dispose();
  }
}

/** isolated-vm sets `cachedData` on a script compiled with produceCachedData (its typings omit it). */
export function producedCache(script: ivm.Script): ivm.ExternalCopy<ArrayBuffer> | undefined {
  return (script as ivm.Script & ivm.CachedDataResult).cachedData;
}

/**
 * Blank isolates kept ready per memory size. `take` hands one over (or makes one on the spot when
 * none is ready) and schedules a refill shortly after, so the next cold start of a function with that
 * memory size skips isolate creation.
 *
 * The delay keeps the refill's one synchronous slice (~0.9 ms, `new ivm.Isolate`) off the event-loop
 * turns that finish the request which took the blank, when its origin answers within a few ms (the
 * refill otherwise lands while that request waits on its origin, when the thread is idle anyway).
 * Measured with bench/cold-start.ts, 100 cold starts back to back, Lambda@Edge, asynchronous refill: 25 ms
 * found a blank ready for 55–61 of them (added latency 2.4–3.0 ms), 5 ms for 86 (0.7 ms), 1 ms for 98
 * but landed in the cold request itself: 2.3 ms added back to back, and 50 ms apart 4.1 ms instead of
 * 1.8 ms (both then against a warm request made right after the cold one).
 */
const REFILL_DELAY_MS = 5;

export class BlankIsolateReserve {
  // Keyed by runtime and memory size: `${runtime}/${memoryMb}`.
  private readonly ready = new Map<string, BlankIsolate[]>();
  private readonly perSize: number;
  private readonly refilling = new Set<string>();
  private closed = false;

  constructor(perSize: number) {
    this.perSize = perSize;
  }

  take(memoryMb: number, runtime: FunctionRuntime = 'nodejs-edge'): BlankIsolate {
    const blank = this.ready.get(`${runtime}/${memoryMb}`)?.pop() ?? createBlankIsolate(memoryMb, runtime);
    this.scheduleRefill(memoryMb, runtime);
    return blank;
  }

  private scheduleRefill(memoryMb: number, runtime: FunctionRuntime): void {
    const key = `${runtime}/${memoryMb}`;
    if (this.perSize === 0 || this.refilling.has(key) || this.closed) return;
    this.refilling.add(key);
    // Not setImmediate: the request whose cold start took the blank is still in flight, and a refill
    // in the next turn would hold up its origin response. A short timer lets it finish.
    setTimeout(() => void this.refill(key, memoryMb, runtime), REFILL_DELAY_MS).unref();
  }

  /**
   * Makes blanks one after another until the key has perSize ready. Each costs the event loop one
   * slice of ~0.9 ms (createBlankIsolateAsync); the rest runs on isolated-vm's threads, so a burst of
   * cold starts is met by a refill that keeps pace with it rather than by one blank per timer.
   */
  private async refill(key: string, memoryMb: number, runtime: FunctionRuntime): Promise<void> {
    try {
      for (;;) {
        let list = this.ready.get(key);
        if (list === undefined) this.ready.set(key, (list = []));
        if (this.closed || list.length >= this.perSize) return;
        const blank = await createBlankIsolateAsync(memoryMb, runtime);
        if (this.closed) {
          blank.isolate.dispose();
          return;
        }
        list.push(blank);
      }
    } catch {
      // A blank that cannot be made now (out of memory): the next take makes one on its request's
      // path, where the failure reaches that request as an error, with a log line.
    } finally {
      this.refilling.delete(key);
    }
  }

  /** How many blanks are ready for a memory size and runtime (tests, diagnostics). */
  readyCount(memoryMb: number, runtime: FunctionRuntime = 'nodejs-edge'): number {
    return this.ready.get(`${runtime}/${memoryMb}`)?.length ?? 0;
  }

  close(): void {
    this.closed = true;
    for (const list of this.ready.values()) for (const b of list) b.isolate.dispose();
    this.ready.clear();
  }
}
