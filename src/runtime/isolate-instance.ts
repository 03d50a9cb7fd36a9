import ivm from 'isolated-vm';
import type { BlankIsolate } from './blank-isolate.ts';
import { compileVersionScript, type CodeCacheUse, type CompiledScript } from './code-cache.ts';
import { LambdaExecutionError } from '../errors/function-errors.ts';
import { decodeEnvelope, type Envelope } from './envelope.ts';
import type { FunctionVersion } from './function-version.ts';
import { loadCloudFrontFunction } from './cff-loader.ts';
import { closeImports, esModuleFor, exposeImports, installUnits, type Sandbox } from './sandbox/sandbox.ts';
import { hasComputedRequire, moduleNotFoundMessage, requiredSpecifiers, unitsFor, withoutComments } from './sandbox/sandbox-plan.ts';
import { LAMBDA_EDGE_MODULES, lambdaEdgeModule } from './sandbox/module-names.ts';

// CommonJS user code is wrapped on the first line so stack traces keep the file's line numbers.
const CJS_PREFIX = '(function (exports, require, module, __filename, __dirname) {';
const CJS_SUFFIX = '\n})';

let nextInstanceId = 1;

/**
 * A version's code without comments, scanned for the sandbox units it needs: made when the version
 * loaded (function-version.ts), or here once for versions made without loading (tests, benchmarks).
 */
function codeToScan(v: FunctionVersion): string {
  return (v.scannedCode ??= withoutComments(v.code));
}

/**
 * An event on the wire (pipeline/cf-wire.ts encodeEvent): its scalars (`meta`) and its request and
 * response headers as "Name\nvalue…" strings.
 */
export interface WireEvent {
  readonly meta: string;
  readonly requestHeaders: string;
  readonly responseHeaders: string;
}

/**
 * The event as the one string an entry takes: "LENGTH:" meta, "LENGTH:" request headers, then the
 * response headers (isolate-core.isolate.js unpackEvent). One string argument instead of three:
 * isolated-vm copies each string argument on its own, ~0.2 µs each (measured), and a batch passes
 * one per event.
 */
export function packEvent(e: WireEvent): string {
  return `${e.meta.length}:${e.meta}${e.requestHeaders.length}:${e.requestHeaders}${e.responseHeaders}`;
}

/**
 * One warm V8 isolate holding one function version: its own heap (capped at memoryMb), one context,
 * the bootstrap entry table and the user's handler. Used by one invocation at a time.
 */
export class IsolateInstance {
  readonly id: number;
  readonly version: FunctionVersion;
  readonly isolate: ivm.Isolate;
  readonly initDurationMs: number;
  invocations = 0;
  /** Whether loading used the version's V8 code cache ('none': compiled from source; ES modules have no cache). */
  codeCache: CodeCacheUse = 'none';
  /**
   * The script as compiled from source when the version had no usable cache: the pool hands it to its
   * CodeCacheProducer (code-cache.ts) and clears it.
   */
  uncachedScript: CompiledScript | undefined;
  /** Set when an invocation left the isolate in a state we cannot trust (timeout, memory, crash). */
  broken = false;
  /**
   * Whether this isolate may ask the host for operations (fetch, crypto.subtle): only a Lambda@Edge
   * function whose fetch or subtle unit is installed. The host refuses envelope ops from any other
   * isolate, so a queue forged by user code cannot reach the network (issue 3 review, SSRF).
   */
  readonly hostOpsAllowed: boolean;
  private readonly context: ivm.Context;
  private readonly invokeRef: ivm.Reference<(event: string) => string>;
  private readonly pollRef: ivm.Reference<() => string>;
  private readonly fireTimerRef: ivm.Reference<(id: number) => string>;
  private readonly settleOpRef: ivm.Reference<(id: number, ok: boolean, json: string, bytes: ArrayBuffer | undefined) => string>;
  /** Lambda@Edge only: the batch entries (lambda-edge.isolate.js invokeBatch / takeBatch). */
  private readonly invokeBatchRef: ivm.Reference<(...events: string[]) => string> | undefined;
  private readonly takeBatchRef: ivm.Reference<() => string> | undefined;

  /**
   * Cold start: takes a blank isolate (bootstrap loaded), loads the user module into it and runs its
   * top level. `initDurationMs` counts from `started`, which includes making the blank isolate when
   * none was ready.
   */
  constructor(version: FunctionVersion, blank: BlankIsolate, initTimeoutMs: number, started: number) {
    this.id = nextInstanceId++;
    this.version = version;
    this.isolate = blank.isolate;
    this.context = blank.context;
    const api = blank.api;
    try {
      this.invokeRef = api.getSync('invoke', { reference: true }) as ivm.Reference<(event: string) => string>;
      this.pollRef = api.getSync('poll', { reference: true }) as ivm.Reference<() => string>;
      this.fireTimerRef = api.getSync('fireTimer', { reference: true }) as ivm.Reference<(id: number) => string>;
      this.settleOpRef = api.getSync('settleOp', { reference: true }) as IsolateInstance['settleOpRef'];
      if (version.runtime === 'nodejs-edge') {
        this.invokeBatchRef = api.getSync('invokeBatch', { reference: true }) as ivm.Reference<(...events: string[]) => string>;
        this.takeBatchRef = api.getSync('takeBatch', { reference: true }) as ivm.Reference<() => string>;
      }
      // CloudFront Functions load by their own rules (a script defining `handler`; runtime/cff-loader.ts).
      if (version.runtime === 'cloudfront-js-2.0') {
        const compiled = loadCloudFrontFunction(this.isolate, this.context, api, blank.sandbox, version, initTimeoutMs);
        this.codeCache = compiled.cache;
        this.uncachedScript = compiled.uncached;
      } else this.loadUserCode(api, blank.sandbox, initTimeoutMs);
      const configure = api.getSync('configure', { reference: true }) as ivm.Reference<(c: string) => void>;
      configure.applySync(undefined, [
        JSON.stringify({
          functionName: version.name,
          functionVersion: version.version,
          invokedFunctionArn: `arn:verge:lambda:local:function:${version.name}:${version.version}`,
          memoryLimitInMB: String(version.memoryMb),
          logStreamName: `verge/${version.version}/${this.id}`,
        }),
      ]);
      api.release();
      this.hostOpsAllowed = version.runtime === 'nodejs-edge' && (blank.sandbox.installed.has('fetch') || blank.sandbox.installed.has('subtle'));
    } catch (err) {
      this.dispose();
      throw toLoadError(err, this, version);
    }
    this.initDurationMs = performance.now() - started;
  }

  private loadUserCode(api: ivm.Reference<Record<string, unknown>>, sandbox: Sandbox, timeoutMs: number): void {
    const v = this.version;
    const filename = `file:///var/task/${basename(v.filename)}`;
    if (v.kind !== 'module') {
      try {
        const { script, cache, uncached } = compileVersionScript(this.isolate, v, CJS_PREFIX + v.code + CJS_SUFFIX, filename);
        this.codeCache = cache;
        this.uncachedScript = uncached;
        v.kind = 'commonjs';
        // Every module the code requires by name must exist before any of it runs (issue 3: a missing
        // module fails at load time, not at the first request); only those modules are installed.
        const code = codeToScan(v);
        const modules = sandboxModules(requiredSpecifiers(code));
        installUnits(sandbox, unitsFor(code, hasComputedRequire(code) ? [...modules, ...LAMBDA_EDGE_MODULES] : modules));
        const moduleFunction = script.runSync(this.context, { reference: true, timeout: timeoutMs }) as ivm.Reference<unknown>;
        const init = api.getSync('initCommonJs', { reference: true }) as ivm.Reference<(...a: unknown[]) => string>;
        init.applySync(undefined, [moduleFunction.derefInto(), filename], { timeout: timeoutMs });
        return;
      } catch (err) {
        // Node's own rule (--experimental-detect-module): code that only parses as a module is a module.
        if (v.kind === 'commonjs' || !isModuleSyntaxError(err)) throw err;
      }
    }
    const mod = this.isolate.compileModuleSync(v.code, { filename });
    v.kind = 'module';
    // A user module imports only sandbox modules (a bundled function has no relative imports left).
    installUnits(sandbox, unitsFor(codeToScan(v), sandboxModules(mod.dependencySpecifiers)));
    const imports = new Map<string, ivm.Module>();
    mod.instantiateSync(this.context, (specifier) => {
      const name = lambdaEdgeModule(specifier)!;
      let m = imports.get(name);
      if (m === undefined) imports.set(name, (m = esModuleFor(sandbox, name)));
      return m;
    });
    exposeImports(sandbox, imports.size);
    try {
      mod.evaluateSync({ timeout: timeoutMs });
    } finally {
      if (!this.isolate.isDisposed) closeImports(sandbox);
    }
    const init = api.getSync('initModule', { reference: true }) as ivm.Reference<(...a: unknown[]) => string>;
    init.applySync(undefined, [mod.namespace.derefInto()], { timeout: timeoutMs });
  }

  /** Starts an invocation on this thread. */
  invokeSync(event: WireEvent, timeoutMs: number): Envelope {
    return decodeEnvelope(this.invokeRef.applySync(undefined, [packEvent(event)], { timeout: timeoutMs }));
  }

  /** Starts an invocation on isolated-vm's thread pool. */
  invokeAsync(event: WireEvent, timeoutMs: number): Promise<Envelope> {
    return this.invokeRef.apply(undefined, [packEvent(event)], { timeout: timeoutMs }).then(decodeEnvelope);
  }

  /**
   * Runs a batch of invocations on this thread, one after another in this isolate, under one timeout;
   * then reads the envelopes of those that finished (a batch stops at one that failed or waits).
   * takeBatch runs only the bootstrap's own code, so, like poll, it needs no timeout of its own.
   */
  invokeBatchSync(events: readonly WireEvent[], timeoutMs: number): Envelope[] {
    if (this.invokeBatchRef === undefined || this.takeBatchRef === undefined) throw new Error('this runtime has no batches');
    const args: string[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) args[i] = packEvent(events[i]!);
    this.invokeBatchRef.applySync(undefined, args, { timeout: timeoutMs });
    return decodeBatch(this.takeBatchRef.applySync(undefined, []), events.length);
  }

  poll(): Envelope {
    // No timeout, on purpose: isolated-vm's per-call timeout costs ~5 µs (a timer thread and a global
    // mutex), and poll follows most calls of an async handler. It needs none: poll runs only the
    // bootstrap's own code (captured primordials, no user getters), the microtasks it could run were
    // drained when the previous call returned, and Invocation keeps one call into the isolate in
    // flight at a time, so no queued callback of user code can hold the isolate while poll waits.
    return decodeEnvelope(this.pollRef.applySync(undefined, []));
  }

  fireTimer(timerId: number, timeoutMs: number): Promise<Envelope> {
    return this.fireTimerRef.apply(undefined, [timerId], { timeout: timeoutMs }).then(decodeEnvelope);
  }

  /** Hands a host operation's result to the isolate; the bytes arrive there as its own ArrayBuffer copy. */
  settleOp(id: number, ok: boolean, json: string, bytes: ArrayBuffer | undefined, timeoutMs: number): Promise<Envelope> {
    const copy = bytes === undefined ? undefined : new ivm.ExternalCopy(bytes, { transferOut: true }).copyInto({ release: true });
    return this.settleOpRef.apply(undefined, [id, ok, json, copy], { timeout: timeoutMs }).then(decodeEnvelope);
  }

  /**
   * Highest heap use seen, for the REPORT line's Max Memory Used (Lambda reports the environment's
   * peak too). Reading V8's heap statistics costs ~2.5 µs, so callers sample it, not every call.
   */
  maxUsedHeapBytes = 0;
  /** Heap in use at the last sample, ArrayBuffers included (they count against memoryLimit too). */
  heapUsedBytes = 0;
  /**
   * Heap memory the isolate actually holds at the last sample (V8's committed pages that are backed,
   * plus ArrayBuffers): what it counts against runtime.maxWarmMemoryMb, and close to its share of RSS.
   */
  heapSizeBytes = 0;

  /** When the heap was last sampled (performance.now()); -Infinity before the first sample. */
  heapSampledAtMs = Number.NEGATIVE_INFINITY;

  sampleHeap(): void {
    if (this.isolate.isDisposed) return;
    this.heapSampledAtMs = performance.now();
    const stats = this.isolate.getHeapStatisticsSync();
    const used = stats.used_heap_size + stats.externally_allocated_size;
    this.heapUsedBytes = used;
    this.heapSizeBytes = stats.total_physical_size + stats.externally_allocated_size;
    if (used > this.maxUsedHeapBytes) this.maxUsedHeapBytes = used;
  }

  cpuTimeNs(): bigint {
    return this.isolate.isDisposed ? 0n : this.isolate.cpuTime;
  }

  dispose(): void {
    this.broken = true;
    if (!this.isolate.isDisposed) this.isolate.dispose();
  }
}

/** takeBatch's string: "COUNT\n" then one length-prefixed envelope ("LENGTH:ENVELOPE") per finished invocation; see lambda-edge.isolate.js. */
function decodeBatch(raw: unknown, events: number): Envelope[] {
  if (typeof raw !== 'string') throw new TypeError('isolate returned a malformed batch');
  const nl = raw.indexOf('\n');
  const count = Number(raw.slice(0, Math.max(0, nl)));
  if (nl < 1 || !Number.isInteger(count) || count < 0 || count > events) throw new TypeError('isolate returned a malformed batch');
  const envelopes: Envelope[] = [];
  let at = nl + 1;
  while (at < raw.length) {
    const colon = raw.indexOf(':', at);
    const length = Number(raw.slice(at, colon));
    if (colon === -1 || !Number.isInteger(length) || length < 1 || colon + 1 + length > raw.length) throw new TypeError('isolate returned a malformed batch');
    const env = decodeEnvelope(raw.slice(colon + 1, colon + 1 + length));
    // Only settled invocations are in a batch's outcome.
    if (env.s === 'P') throw new TypeError('isolate returned a malformed batch');
    envelopes.push(env);
    at = colon + 1 + length;
  }
  if (envelopes.length !== count) throw new TypeError('isolate returned a malformed batch');
  return envelopes;
}

/** The sandbox module names for these specifiers; throws naming the first one the sandbox lacks. */
function sandboxModules(specifiers: readonly string[]): string[] {
  return specifiers.map((specifier) => {
    const name = lambdaEdgeModule(specifier);
    if (name === undefined) throw new Error(moduleNotFoundMessage(specifier, LAMBDA_EDGE_MODULES));
    return name;
  });
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}

function isModuleSyntaxError(err: unknown): boolean {
  if (!(err instanceof Error) || !/SyntaxError/.test(`${err.name} ${err.message}`)) return false;
  return /\b(import|export)\b|import\.meta|top-level await|await is only valid/.test(err.message);
}

function toLoadError(err: unknown, instance: IsolateInstance, version: FunctionVersion): LambdaExecutionError {
  if (err instanceof LambdaExecutionError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (instance.isolate.isDisposed && /memory/i.test(message)) {
    return new LambdaExecutionError('VERGE_ERR_FUNCTION_MEMORY', `The function exceeded its memory limit of ${version.memoryMb} MB while loading`, { function: version.name });
  }
  if (/timed out/i.test(message)) {
    return new LambdaExecutionError('VERGE_ERR_FUNCTION_TIMEOUT', `The function's initialisation took longer than ${version.timeoutMs} ms`, { function: version.name });
  }
  return new LambdaExecutionError('VERGE_ERR_FUNCTION_LOAD', `The function could not be loaded: ${message}`, { function: version.name });
}
