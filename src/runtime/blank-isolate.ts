import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import type { FunctionRuntime } from '../config/types.ts';
import { installSandboxCore, type Sandbox } from './sandbox/sandbox.ts';
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

export function createBlankIsolate(memoryMb: number, runtime: FunctionRuntime = 'nodejs-edge'): BlankIsolate {
  const isolate = new ivm.Isolate({ memoryLimit: Math.max(MIN_ISOLATE_MEMORY_MB, memoryMb) });
  try {
    const context = isolate.createContextSync();
    const file = BOOTSTRAP_FILES[runtime];
    let source = BOOTSTRAP_SOURCES.get(runtime);
    if (source === undefined) BOOTSTRAP_SOURCES.set(runtime, (source = bootstrapCode(fileURLToPath(new URL(`./${file}`, import.meta.url)))));
    const cache = bootstrapCaches.get(runtime);
    const bootstrap = isolate.compileScriptSync(source, {
      filename: `verge:${file}`,
      ...(cache ? { cachedData: cache } : {}),
    });
    const api = bootstrap.runSync(context, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    const modules = runtime === 'cloudfront-js-2.0' ? CLOUDFRONT_FUNCTIONS_MODULES : LAMBDA_EDGE_MODULES;
    const sandbox = installSandboxCore(isolate, context, { memoryMb, modules });
    const attach = api.getSync('attachSandbox', { reference: true }) as ivm.Reference<(s: unknown) => void>;
    attach.applySync(undefined, [sandbox.sandbox.derefInto()]);
    attach.release();
    if (cache === undefined) {
      // V8's code cache holds only the functions compiled when it is made. Made now, after the
      // bootstrap ran, it includes the functions its top level called (primordials, the core's setup)
      // and attachSandbox: compiling the same source again finds the script in this isolate's
      // compilation cache with those compiled, so later isolates do not compile them again.
      const again = isolate.compileScriptSync(source, { filename: `verge:${file}`, produceCachedData: true });
      bootstrapCaches.set(runtime, producedCache(again));
      again.release();
      warmBootstrapCache(runtime, source, `verge:${file}`);
    }
    return { isolate, context, api, memoryMb, sandbox };
  } catch (err) {
    isolate.dispose();
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
 * none is ready) and schedules a refill shortly after, off the current request's path, so the next cold start
 * of a function with that memory size skips isolate creation.
 */
const REFILL_DELAY_MS = 25;

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
    // in the next turn would hold up its origin response for ~1.6 ms. A short timer lets it finish.
    setTimeout(() => {
      this.refilling.delete(key);
      if (this.closed) return;
      let list = this.ready.get(key);
      if (list === undefined) this.ready.set(key, (list = []));
      // One per turn: each takes ~1.6 ms of this thread, so spread them out.
      if (list.length < this.perSize) {
        list.push(createBlankIsolate(memoryMb, runtime));
        if (list.length < this.perSize) this.scheduleRefill(memoryMb, runtime);
      }
    }, REFILL_DELAY_MS).unref();
  }

  close(): void {
    this.closed = true;
    for (const list of this.ready.values()) for (const b of list) b.isolate.dispose();
    this.ready.clear();
  }
}
