import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type ivm from 'isolated-vm';
import type { FunctionConfig, FunctionRuntime, KeyValueStoreConfig } from '../config/types.ts';
import { prepareCloudFrontFunction } from './cff-loader.ts';

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
  readonly code: string;
  readonly filename: string;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Which bootstrap the isolate runs: Lambda@Edge or CloudFront Functions. */
  readonly runtime: FunctionRuntime;
  /** CloudFront Functions: the store `cf.kvs()` reads. */
  readonly keyValueStore: KeyValueStoreConfig | undefined;
  kind: ModuleKind | undefined;
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
  /**
   * 'sync' calls run on the node's thread (cheapest: ~1 µs a call) but a slow call would hold up every
   * other request, so a call that outgrows the sync slice is re-run on isolated-vm's thread pool and the
   * version switches to 'async' for good.
   */
  mode: 'sync' | 'async';
}

/** Reads the function's code and derives its version key; a changed file yields a new version. */
export function loadFunctionVersion(config: FunctionConfig): FunctionVersion {
  const code = readFileSync(config.codePath, 'utf8');
  return createFunctionVersion(config, code);
}

export function createFunctionVersion(config: FunctionConfig, code: string): FunctionVersion {
  const hash = createHash('sha256')
    .update(code)
    .update(`\0${config.memoryMb}\0${config.timeoutMs}\0${JSON.stringify(config.environment)}`)
    .update(`\0${config.runtime}\0${config.keyValueStore?.id ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  const version: FunctionVersion = {
    name: config.name,
    key: `${config.name}@${hash}`,
    version: hash,
    code,
    filename: config.codePath,
    memoryMb: config.memoryMb,
    timeoutMs: config.timeoutMs,
    environment: config.environment,
    runtime: config.runtime,
    keyValueStore: config.keyValueStore,
    kind: undefined,
    cachedData: undefined,
    mode: 'sync',
  };
  if (config.runtime === 'cloudfront-js-2.0') prepareCloudFrontFunction(version);
  return version;
}
