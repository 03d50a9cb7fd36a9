import { createHash } from 'node:crypto';
import type ivm from 'isolated-vm';
import type { FunctionConfig } from '../config/types.ts';
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
  /** Shown as `functionVersion` and in REPORT lines (Lambda@Edge shows a number; we show the hash). */
  readonly version: string;
  /** The one script the isolate loads: the file as written, or the package's bundle. */
  readonly code: string;
  /** The handler file (inside a .zip: `package.zip/index.js`), for stack traces. */
  readonly filename: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly environment: Readonly<Record<string, string>>;
  /** The files the code was made from and their content hash: --watch rebundles only when it changes. */
  readonly inputFiles: readonly string[];
  readonly inputsHash: string;
  /** Not part of the key: changing it needs no new isolates. Undefined = unreserved. */
  readonly reservedConcurrency: number | undefined;
  kind: ModuleKind | undefined;
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /**
   * 'sync' calls run on the node's thread (cheapest: ~1 µs a call) but a slow call would hold up every
   * other request, so a call that outgrows the sync slice is re-run on isolated-vm's thread pool and the
   * version switches to 'async' for good.
   */
  mode: 'sync' | 'async';
}

/**
 * Reads (and for a directory, .zip, TypeScript or multi-file function, bundles) the function's code,
 * checks its imports, and derives its version key; changed code yields a new version. Bundling runs in
 * esbuild's service process, off the node's thread. Throws VERGE_ERR_FUNCTION_LOAD naming the problem.
 */
export async function loadFunctionVersion(config: FunctionConfig): Promise<FunctionVersion> {
  return createFunctionVersion(config, await bundleFunction(config));
}

/** `source` is the bundle, or the code of a single-file function given as a string (benchmarks, tests). */
export function createFunctionVersion(config: FunctionConfig, source: string | (Pick<FunctionBundle, 'code'> & Partial<FunctionBundle>)): FunctionVersion {
  const bundle = typeof source === 'string' ? { code: source } : source;
  const hash = createHash('sha256')
    .update(bundle.code)
    .update(`\0${config.memoryMb}\0${config.timeoutMs}\0${JSON.stringify(config.environment)}`)
    .digest('hex')
    .slice(0, 12);
  return {
    name: config.name,
    key: `${config.name}@${hash}`,
    version: hash,
    code: bundle.code,
    filename: bundle.filename ?? config.codePath,
    memoryMb: config.memoryMb,
    timeoutMs: config.timeoutMs,
    environment: config.environment,
    inputFiles: bundle.inputFiles ?? [config.codePath],
    inputsHash: bundle.inputsHash ?? '',
    reservedConcurrency: config.reservedConcurrency,
    kind: undefined,
    cachedData: undefined,
    mode: 'sync',
  };
}
