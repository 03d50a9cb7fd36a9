/**
 * The validated, frozen configuration of one edge node: what `loadConfig` returns and everything
 * downstream consumes. Nothing past the config boundary re-checks these values (STYLE.md habit 4).
 */

/** The four CloudFront events a function can be associated with, in lifecycle order. */
export type EventType = 'viewer-request' | 'origin-request' | 'origin-response' | 'viewer-response';

export type FunctionRuntime = 'nodejs-edge';

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
  /** Absolute path of the handler file. */
  readonly codePath: string;
  readonly runtime: FunctionRuntime;
  readonly memoryMb: number;
  readonly timeoutMs: number;
  /** Environment variables of the Lambda function model. Lambda@Edge has none, so they are validated and kept but not exposed to the function yet. */
  readonly environment: Readonly<Record<string, string>>;
}

export interface FunctionAssociation {
  readonly name: string;
  /** Request events only: pass the body to the function (base64, truncated as CloudFront does). */
  readonly includeBody: boolean;
}

export interface BehaviorConfig {
  readonly pathPattern: string;
  /** Compiled from pathPattern: CloudFront wildcards, case-sensitive, matched against the URI path. */
  readonly matches: (uriPath: string) => boolean;
  readonly originId: string;
  readonly functions: Readonly<Partial<Record<EventType, FunctionAssociation>>>;
}

export interface ErrorsConfig {
  /** Status for LambdaExecutionError; CloudFront answers 503 today, older docs say 500. */
  readonly executionErrorStatus: 500 | 503;
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
  readonly behaviors: readonly BehaviorConfig[];
  readonly errors: ErrorsConfig;
  /** Worker processes `verge serve` runs under its supervisor: `auto` is one per core (os.availableParallelism()). */
  readonly workers: WorkersSetting;
  /** The directory relative paths were resolved against (the config file's directory). */
  readonly baseDir: string;
}
