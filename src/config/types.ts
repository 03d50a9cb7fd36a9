/**
 * The validated, frozen configuration of one edge node: what `loadConfig` returns and everything
 * downstream consumes. Nothing past the config boundary re-checks these values (STYLE.md habit 4).
 */

import type { AdminConfig } from './admin-config.ts';
import type { EdgeConfig } from './edge-config.ts';
import type { CacheConfig, CachePolicyConfig } from './cache-config.ts';

export type { AdminConfig, CacheConfig, CachePolicyConfig };

/** The four CloudFront events a function can be associated with, in lifecycle order. */
export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';

/** `nodejs-edge`: Lambda@Edge; `cloudfront-js-2.0`: CloudFront Functions, JavaScript runtime 2.0. */
export type FunctionRuntime = 'nodejs-edge' | 'cloudfront-js-2.0';

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
}

export interface OriginConfig {
  readonly id: string;
  /** Parsed `url`: scheme, host, port (defaulted from the scheme) and base path ('' or '/base' without trailing slash). */
  readonly protocol: 'http' | 'https';
  readonly domainName: string;
  readonly port: number;
  readonly path: string;
  /** The original `url` as written. */
  readonly url: string;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Sent to the origin on every request; names kept as written. */
  readonly customHeaders: Readonly<Record<string, string>>;
}

export interface FunctionConfig {
  readonly name: string;
  /** Absolute path of the code: a single file, a directory package or a .zip package. */
  readonly codePath: string;
  /** Lambda's handler setting `file.export` (default `index.handler`); for a single file only the export name applies. */
  readonly handler: string;
  readonly runtime: FunctionRuntime;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** fetch() calls one invocation may make (sandbox fetch); the next one rejects with a TypeError. */
  readonly maxSubrequests: number;
  /** Environment variables of the Lambda function model. Lambda@Edge has none, so they are validated and kept but not exposed to the function yet. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Lambda's reserved concurrency: at most this many invocations of the function (all versions) at
   * once in this process; 0 throttles it entirely; undefined leaves it unreserved.
   */
  readonly reservedConcurrency?: number | undefined;
  /** CloudFront Functions only: the key value store `cf.kvs()` reads (its id and absolute file). */
  readonly keyValueStore?: KeyValueStoreConfig;
  /**
   * A version published by a control plane (`3`, `$LATEST`): shown as the function's version in
   * REPORT lines and `context.functionVersion` instead of the code hash. Not a config file option:
   * control/revision-config.ts sets it.
   */
  readonly versionLabel?: string;
}

/** A key value store for CloudFront Functions, loaded from a file in CloudFront's import format. */
export interface KeyValueStoreConfig {
  readonly id: string;
  /** Absolute path of the JSON file `{"data": [{"key": …, "value": …}]}`. */
  readonly file: string;
}

export interface FunctionAssociation {
  readonly name: string;
  /** Request events only: pass the body to the function (base64, truncated as CloudFront does). */
  readonly includeBody: boolean;
  /**
   * Weighted routing (a Lambda alias's additionalVersionWeights): `weight` (0..1) of viewers run the
   * function `name` instead, sticky per viewer (pipeline/weighted-association.ts).
   */
  readonly additional?: { readonly name: string; readonly weight: number } | undefined;
}

export interface BehaviorConfig {
  readonly pathPattern: string;
  /** Compiled from pathPattern: CloudFront wildcards, case-sensitive, matched against the URI path. */
  readonly matches: (uriPath: string) => boolean;
  readonly originId: string;
  readonly functions: Readonly<Partial<Record<EventType, FunctionAssociation>>>;
  readonly cachePolicy: CachePolicyConfig;
  /** Compress compressible responses for viewers that accept gzip or br (CloudFront's "Compress objects automatically"). */
  readonly compress: boolean;
}

export interface ErrorsConfig {
  /** Status for LambdaExecutionError; CloudFront answers 503 today, older docs say 500. */
  readonly executionErrorStatus: 500 | 503;
}

/** The isolate pool's sizes and recycling rules (docs/config.md, `runtime`). */
export interface RuntimeConfig {
  /** Warm isolates kept per function version; capped at the core count. */
  readonly isolatesPerVersion: number;
  /** An isolate is replaced after this many invocations; 0 = never. */
  readonly recycleAfterInvocations: number;
  /** An isolate whose heap use passes this share of its function's memoryMb is replaced. */
  readonly recycleHeapPercent: number;
  /** Idle warm isolates kept across all versions, least recently used evicted first. */
  readonly maxWarmIsolates: number;
  /** Budget over the idle warm isolates' heap sizes, least recently used evicted first. */
  readonly maxWarmMemoryMb: number;
}
/** `auto` or a count from 1 to 256. */
export type WorkersSetting = number | 'auto';

export interface VergeConfig {
  readonly listen: ListenConfig;
  readonly location: string;
  /** Used as the event's distributionDomainName / distributionId. */
  readonly distribution: { readonly id: string; readonly domainName: string };
  readonly origins: readonly OriginConfig[];
  readonly functions: readonly FunctionConfig[];
  readonly keyValueStores: readonly KeyValueStoreConfig[];
  readonly behaviors: readonly BehaviorConfig[];
  readonly errors: ErrorsConfig;
  readonly cache: CacheConfig;
  readonly runtime: RuntimeConfig;
  /** Worker processes `verge serve` runs under its supervisor: `auto` is one per core (os.availableParallelism()). */
  readonly workers: WorkersSetting;
  /** A serving worker silent this long is killed and replaced (default: config/worker-stall.ts). */
  readonly workerStallMs: number;
  /** The admin API `verge serve` starts (src/admin/); undefined when the file has no `admin` section. */
  readonly admin?: AdminConfig | undefined;
  /** The control plane this node follows (config/edge-config.ts); undefined when the file has no `edge` section. */
  readonly edge?: EdgeConfig | undefined;
  /** The directory relative paths were resolved against (the config file's directory). */
  readonly baseDir: string;
}
