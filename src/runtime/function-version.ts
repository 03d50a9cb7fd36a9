import { createHash } from 'node:crypto';
import type ivm from 'isolated-vm';
import type { FunctionConfig, FunctionRuntime, KeyValueStoreConfig } from '../config/types.ts';
import { prepareCloudFrontFunction } from './cff-loader.ts';
import { withoutCommentsAsync } from './sandbox/sandbox-plan.ts';
import { bundleFunction, type FunctionBundle } from './bundle/bundle-function.ts';

/** How user code is evaluated: CommonJS (`exports.handler`) or an ES module (`export const handler`). */
export type ModuleKind = 'commonjs' | 'module';

/**
 * One immutable version of one function: code plus limits. Isolates are pooled per version, so a code
 * change (a new sha256) never shares an isolate with the old code. Mutable fields are learned facts
 * about the code (module kind, V8 code cache, whether its calls are short enough to run synchronously).
 */
export interface FunctionVersion {
  readonly name: string;
  /** Short content hash of code + limits: `security-headers@3f9a…`. */
  readonly key: string;
  /** Shown as `functionVersion` and in REPORT lines (Lambda@Edge shows a number; we show the hash, or a control plane's version number). */
  readonly version: string;
  /** The one script the isolate loads: the file as written, or the package's bundle. */
  readonly code: string;
  /** The handler file (inside a .zip: `package.zip/index.js`), for stack traces. */
  readonly filename: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** fetch() calls allowed per invocation. */
  readonly maxSubrequests: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Which bootstrap the isolate runs: Lambda@Edge or CloudFront Functions. */
  readonly runtime: FunctionRuntime;
  /** CloudFront Functions: the store `cf.kvs()` reads. */
  readonly keyValueStore: KeyValueStoreConfig | undefined;
  /** The files the code was made from and their content hash: --watch rebundles only when it changes. */
  readonly inputFiles: readonly string[];
  readonly inputsHash: string;
  /** Not part of the key: changing it needs no new isolates. Undefined = unreserved. */
  readonly reservedConcurrency: number | undefined;
  kind: ModuleKind | undefined;
  /** The code without comments, which the sandbox scans for the modules and globals it uses. */
  scannedCode: string | undefined;
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /**
   * 'sync' calls run on the node's thread (cheapest: ~1 µs a call) but a slow call would hold up every
   * other request, so a call that outgrows the sync slice is re-run on isolated-vm's thread pool and the
   * version switches to 'async' for good.
   */
  mode: 'sync' | 'async';
  /**
   * Whether calls that arrive together may run as one batch in one isolate (FunctionRuntime.invokeMany):
   * Lambda@Edge functions in 'sync' mode, until a batch of this version stops early (an invocation
   * waited for a timer or the network) or fails; then it runs one call at a time for good.
   */
  batch: boolean;
}

/**
 * Reads (and for a directory, .zip, TypeScript or multi-file function, bundles) the function's code,
 * checks its imports, and derives its version key; changed code yields a new version. Bundling runs in
 * esbuild's service process, off the node's thread. Throws VERGE_ERR_FUNCTION_LOAD naming the problem.
 */
export async function loadFunctionVersion(config: FunctionConfig): Promise<FunctionVersion> {
  const version = createFunctionVersion(config, await bundleFunction(config));
  // Scanned now, off this thread, rather than at the version's first cold start on a request's path.
  if (version.runtime === 'nodejs-edge') version.scannedCode = await withoutCommentsAsync(version.code);
  return version;
}

/** `source` is the bundle, or the code of a single-file function given as a string (benchmarks, tests). */
export function createFunctionVersion(config: FunctionConfig, source: string | (Pick<FunctionBundle, 'code'> & Partial<FunctionBundle>)): FunctionVersion {
  const bundle = typeof source === 'string' ? { code: source } : source;
  const hash = createHash('sha256')
    .update(bundle.code)
    .update(`\0${config.memoryMb}\0${config.timeoutMs}\0${config.maxSubrequests}\0${JSON.stringify(config.environment)}`)
    .update(`\0${config.runtime}\0${config.keyValueStore?.id ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  const version: FunctionVersion = {
    name: config.name,
    key: `${config.name}@${hash}`,
    // A control plane's published version is immutable, so its number names the code as well as the hash.
    version: config.versionLabel ?? hash,
    code: bundle.code,
    filename: bundle.filename ?? config.codePath,
    memoryMb: config.memoryMb,
    timeoutMs: config.timeoutMs,
    maxSubrequests: config.maxSubrequests,
    environment: config.environment,
    runtime: config.runtime,
    keyValueStore: config.keyValueStore,
    inputFiles: bundle.inputFiles ?? [config.codePath],
    inputsHash: bundle.inputsHash ?? '',
    reservedConcurrency: config.reservedConcurrency,
    kind: undefined,
    scannedCode: undefined,
    cachedData: undefined,
    mode: 'sync',
    batch: config.runtime !== 'cloudfront-js-2.0',
  };
  if (config.runtime === 'cloudfront-js-2.0') prepareCloudFrontFunction(version);
  return version;
}
