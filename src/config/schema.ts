/**
 * The config file format. The zod schemas check each option in isolation and fill in defaults;
 * `crossFieldIssues` checks the rules that relate options to each other (references, uniqueness,
 * Lambda@Edge limits). It reads the raw input leniently so that it still reports its problems
 * when some unrelated option is broken: the user sees every problem in one run.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { EventType } from './types.ts';
import type { ConfigIssue } from '../errors/verge-error.ts';
import { pathPatternProblem } from './path-pattern.ts';
import { isRefusedOriginCustomHeader } from '../pipeline/header-rules.ts';
import { EVENT_TYPES } from '../pipeline/hooks.ts';
import { DEFAULT_HANDLER, handlerProblem } from '../runtime/bundle/handler-name.ts';
import { packageSizeBytes } from '../runtime/bundle/package-size.ts';
import {
  FUNCTION_DEFAULT_MEMORY_MB,
  FUNCTION_LIMITS_BY_EVENT,
  FUNCTION_DEFAULT_TIMEOUT_MS,
  FUNCTION_MIN_MEMORY_MB,
  FUNCTION_MIN_TIMEOUT_MS,
  ORIGIN_EVENT_MAX_MEMORY_MB,
  ORIGIN_EVENT_MAX_TIMEOUT_MS,
} from './lambda-edge-limits.ts';
import { CFF_DEFAULT_TIMEOUT_MS, CFF_MEMORY_MB } from './cloudfront-functions-limits.ts';
import { cloudFrontFunctionIssues, keyValueStoreIdSchema, keyValueStoreSchema } from './cloudfront-functions-rules.ts';
import { workerStallMsSchema } from './worker-stall.ts';
import { cachePolicySchema, cacheSchema } from './cache-config.ts';
import { controlPlaneSchema } from './control-plane-config.ts';
import { adminSchema } from './admin-config.ts';
import { edgeSchema } from './edge-config.ts';

/** The four events, in lifecycle order; the keys allowed under `behaviors[n].functions`. */
export { EVENT_TYPES };

/** A strict object whose unknown-key error lists the keys that are allowed, to catch typos fast. */
function strict<T extends z.core.$ZodLooseShape>(shape: T, allowed: readonly string[] = Object.keys(shape)) {
  const message = `unknown option; allowed here: ${allowed.join(', ')}`;
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? message : undefined) });
}

const intIn = (min: number, max: number) => z.int().min(min).max(max);

// RFC 9110 §5.6.2 token: anything else cannot be sent as a header name.
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'header name must be an HTTP token (RFC 9110 §5.6.2)');
// CR/LF would let a value inject extra headers.
const headerValue = z.string().regex(/^[^\r\n\0]*$/, 'header value must not contain CR, LF or NUL');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable name must match [A-Za-z_][A-Za-z0-9_]*');

export const listenSchema = strict({
  host: z.string().min(1).default('127.0.0.1'),
  // 0 asks the OS for a free port; tests rely on it.
  port: intIn(0, 65535).default(8080),
});

export const distributionSchema = strict({
  // CloudFront distribution ids are upper-case alphanumerics (E2QWRUHAPOMQZL).
  id: z.string().regex(/^[A-Z0-9]{1,64}$/, 'must be 1-64 upper-case letters or digits, like a CloudFront distribution id').default('VERGELOCAL'),
  domainName: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, 'must be a host name').default('verge.local'),
});

export interface ParsedOriginUrl {
  readonly protocol: 'http' | 'https';
  readonly domainName: string;
  readonly port: number;
  readonly path: string;
}

/** Splits `scheme://host[:port][/base-path]` into the parts CloudFront's origin event carries. */
export function parseOriginUrl(url: string): ParsedOriginUrl | string {
  // Checked on the raw text: WHATWG URL accepts `http:host` and drops an empty `?` or `#`.
  if (!/^https?:\/\//i.test(url)) return 'must start with http:// or https://';
  if (/[?#]/.test(url)) return 'must not contain a query string or fragment';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain credentials; use customHeaders instead';
  if (parsed.hostname === '') return 'must name a host';
  const protocol = parsed.protocol === 'https:' ? 'https' : 'http';
  const port = parsed.port === '' ? (protocol === 'https' ? 443 : 80) : Number(parsed.port);
  // CloudFront's origin path has no trailing slash; '/' alone means no base path.
  const path = parsed.pathname.replace(/\/+$/, '');
  return { protocol, domainName: parsed.hostname, port, path };
}

const originUrl = z.string().transform((url, ctx) => {
  const parsed = parseOriginUrl(url);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: `${parsed} (got ${JSON.stringify(url)})` });
    return z.NEVER;
  }
  return { ...parsed, url };
});

export const originSchema = strict({
  id: z.string().min(1).max(128),
  url: originUrl,
  connectTimeoutMs: intIn(1, 60_000).default(10_000),
  // CloudFront's origin response timeout goes up to 180 s.
  readTimeoutMs: intIn(1, 180_000).default(30_000),
  customHeaders: z
    .record(headerName, headerValue)
    .superRefine((headers, ctx) => {
      for (const name of Object.keys(headers)) {
        // CloudFront Developer Guide, "Custom headers that CloudFront can't add to origin requests".
        if (isRefusedOriginCustomHeader(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'CloudFront cannot add this header to origin requests' });
      }
    })
    .default({}),
}).transform(({ id, url, ...rest }) => ({ id, ...url, ...rest }));

/** The function runtimes: Lambda@Edge (Node.js) and CloudFront Functions (JavaScript runtime 2.0). */
export const FUNCTION_RUNTIMES = ['nodejs-edge', 'cloudfront-js-2.0'] as const;

export const functionNameSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters from A-Z a-z 0-9 _ -');

// The widest ranges any event allows; per-event limits are checked against associations.
export const functionSchema = strict({
  name: functionNameSchema,
  // A single .js/.mjs/.cjs/.ts/.mts/.cts file, a directory package or a .zip package (checked in load-config).
  code: z.string().min(1),
  handler: z.string().superRefine((h, ctx) => {
    const problem = handlerProblem(h);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  }).default(DEFAULT_HANDLER),
  runtime: z.enum(FUNCTION_RUNTIMES).default('nodejs-edge'),
  // Defaults depend on the runtime (CloudFront Functions: fixed memory, a tight time cap), filled below.
  memoryMb: intIn(FUNCTION_MIN_MEMORY_MB, ORIGIN_EVENT_MAX_MEMORY_MB).optional(),
  timeoutMs: intIn(FUNCTION_MIN_TIMEOUT_MS, ORIGIN_EVENT_MAX_TIMEOUT_MS).optional(),
  environment: z.record(envName, z.string()).default({}),
  // Lambda's reserved concurrency: 0 throttles every invocation; absent leaves the function unreserved.
  reservedConcurrency: z.int().min(0).max(100_000).optional(),
  // fetch() calls per invocation; 50 by default, as Cloudflare Workers' free plan allows.
  maxSubrequests: intIn(0, 1000).default(50),
  keyValueStore: keyValueStoreIdSchema.optional(),
}).transform(({ memoryMb, timeoutMs, ...fn }) =>
  fn.runtime === 'cloudfront-js-2.0'
    ? { ...fn, memoryMb: CFF_MEMORY_MB, timeoutMs: timeoutMs ?? CFF_DEFAULT_TIMEOUT_MS }
    : { ...fn, memoryMb: memoryMb ?? FUNCTION_DEFAULT_MEMORY_MB, timeoutMs: timeoutMs ?? FUNCTION_DEFAULT_TIMEOUT_MS },
);

// Weighted routing (a Lambda alias's additionalVersionWeights): this share of viewers runs `name` instead.
const additionalVersion = strict({ name: z.string(), weight: z.number().min(0).max(1) });

const requestAssociation = strict({
  name: z.string(),
  includeBody: z.boolean().default(false),
  additional: additionalVersion.optional(),
});

// CloudFront offers "Include body" only for request events; say so rather than "unknown option".
const responseAssociation = strict(
  {
    name: z.string(),
    includeBody: z.never({ error: 'includeBody is only allowed on viewer-request and origin-request' }).optional(),
    additional: additionalVersion.optional(),
  },
  ['name', 'additional'],
).transform(({ name, additional }) => ({ name, includeBody: false, ...(additional === undefined ? {} : { additional }) }));

export const associationsSchema = strict({
  'viewer-request': requestAssociation.optional(),
  'origin-request': requestAssociation.optional(),
  'origin-response': responseAssociation.optional(),
  'viewer-response': responseAssociation.optional(),
});

const pathPattern = z.string().superRefine((pattern, ctx) => {
  const problem = pathPatternProblem(pattern);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const behaviorSchema = strict({
  pathPattern,
  originId: z.string().min(1),
  functions: associationsSchema.default({}),
  // A managed policy's name or the behavior's own (config/cache-config.ts).
  cachePolicy: cachePolicySchema,
  // CloudFront's "Compress objects automatically": gzip/br for viewers that accept it, when the policy keys on it.
  compress: z.boolean().default(false),
});

export const errorsSchema = strict({
  // CloudFront answers 503 for LambdaExecutionError today; older documentation says 500.
  executionErrorStatus: z.literal([500, 503]).default(503),
});

/** How this node keeps isolates: warm pools per version, recycling, and the budget over all of them. */
export const runtimeSchema = strict({
  // More isolates per version than cores cannot run in parallel; the runtime caps it at the core count.
  isolatesPerVersion: intIn(1, 1024).default(availableParallelism()),
  // 0 never recycles on count.
  recycleAfterInvocations: intIn(0, 1_000_000_000).default(1_000_000),
  // 0 never recycles on heap use.
  recycleHeapPercent: intIn(0, 100).default(75),
  maxWarmIsolates: intIn(1, 1_000_000).default(1_000),
  maxWarmMemoryMb: intIn(1, 1_048_576).default(2_048),
});
// One worker process per core by default: the node is meant to use the whole machine, and in-process
// edge nodes (tests, embedding) never read this option. `workers: 1` keeps one worker (still supervised).
const WORKERS_RULE = 'must be "auto" or a whole number from 1 to 256';
export const workersSchema = z
  .union([z.literal('auto'), z.int({ error: WORKERS_RULE }).min(1, WORKERS_RULE).max(256, WORKERS_RULE)], { error: WORKERS_RULE })
  .default('auto');

/** The whole file, option by option; `crossFieldIssues` adds the rules between options. */
export const configSchema = strict({
  listen: listenSchema.prefault({}),
  location: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+').default('local'),
  distribution: distributionSchema.prefault({}),
  origins: z.array(originSchema).min(1, 'at least one origin is required'),
  functions: z.array(functionSchema).default([]),
  keyValueStores: z.array(keyValueStoreSchema).default([]),
  behaviors: z.array(behaviorSchema).min(1, 'at least one behavior is required'),
  errors: errorsSchema.prefault({}),
  cache: cacheSchema.prefault({}),
  runtime: runtimeSchema.prefault({}),
  workers: workersSchema,
  workerStallMs: workerStallMsSchema,
  // What `verge control-plane` runs (config/control-plane-config.ts); `verge serve` ignores it.
  controlPlane: controlPlaneSchema.optional(),
  // The admin API (config/admin-config.ts); absent: none.
  admin: adminSchema.optional(),
  // Follow a control plane as this `location` (config/edge-config.ts); absent: serve this file alone.
  edge: edgeSchema.optional(),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ParsedFunction = z.output<typeof functionSchema>;

// ---- Rules between options ---------------------------------------------------------------------

type Raw = Record<string, unknown>;
const isRaw = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const rawList = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);

/**
 * Index of the first element declaring each `key` value; later duplicates become issues. Works on
 * the raw elements, so a broken origin still counts as declared and its references stay quiet.
 */
function declarations(section: string, elements: readonly unknown[], key: string, what: string, issues: ConfigIssue[]): Map<string, number> {
  const first = new Map<string, number>();
  elements.forEach((element, index) => {
    const value = isRaw(element) ? element[key] : undefined;
    if (typeof value !== 'string') return;
    const earlier = first.get(value);
    if (earlier === undefined) first.set(value, index);
    else issues.push({ path: `${section}[${index}].${key}`, message: `duplicate ${what} ${JSON.stringify(value)} (first used by ${section}[${earlier}])` });
  });
  return first;
}

const known = (names: Map<string, number>): string => (names.size === 0 ? 'none are defined' : `defined: ${[...names.keys()].join(', ')}`);

/** Where a function is associated: `behaviors[0].functions.viewer-request`. */
interface Usage {
  readonly functionIndex: number;
  readonly eventType: EventType;
  readonly at: string;
}

/**
 * Every rule that relates one option to another: unique origin ids, function names and path
 * patterns; behaviors that can never match; references to origins and functions; Lambda@Edge
 * memory and timeout limits of the events a function is associated with.
 */
export function crossFieldIssues(raw: unknown, baseDir?: string): ConfigIssue[] {
  if (!isRaw(raw)) return [];
  const issues: ConfigIssue[] = [];
  const functions = rawList(raw.functions);
  const behaviors = rawList(raw.behaviors);
  const originIds = declarations('origins', rawList(raw.origins), 'id', 'origin id', issues);
  const functionNames = declarations('functions', functions, 'name', 'function name', issues);
  const patterns = declarations('behaviors', behaviors, 'pathPattern', 'pathPattern', issues);
  const catchAll = patterns.get('*');
  const usages: Usage[] = [];

  behaviors.forEach((behavior, b) => {
    if (!isRaw(behavior)) return;
    // First match wins, so nothing after a `*` behavior is ever reached.
    if (catchAll !== undefined && b > catchAll && typeof behavior.pathPattern === 'string' && behavior.pathPattern !== '*') {
      issues.push({ path: `behaviors[${b}].pathPattern`, message: `can never match: behaviors[${catchAll}] ("*") comes first and matches every path` });
    }
    if (typeof behavior.originId === 'string' && behavior.originId !== '' && !originIds.has(behavior.originId)) {
      issues.push({ path: `behaviors[${b}].originId`, message: `no origin has id ${JSON.stringify(behavior.originId)} (${known(originIds)})` });
    }
    const associations = behavior.functions;
    if (!isRaw(associations)) return;
    for (const eventType of EVENT_TYPES) {
      const association = associations[eventType];
      const name = isRaw(association) ? association.name : undefined;
      if (typeof name !== 'string') continue;
      const functionIndex = functionNames.get(name);
      const at = `behaviors[${b}].functions.${eventType}`;
      if (functionIndex === undefined) issues.push({ path: `${at}.name`, message: `no function is named ${JSON.stringify(name)} (${known(functionNames)})` });
      else usages.push({ functionIndex, eventType, at });
      // The weighted second version is associated with the event too: same reference and limit rules.
      const additional = isRaw(association) && isRaw(association.additional) ? association.additional.name : undefined;
      if (typeof additional !== 'string') continue;
      const additionalIndex = functionNames.get(additional);
      if (additionalIndex === undefined) issues.push({ path: `${at}.additional.name`, message: `no function is named ${JSON.stringify(additional)} (${known(functionNames)})` });
      else {
        usages.push({ functionIndex: additionalIndex, eventType, at: `${at}.additional` });
        // Two versions of one function: the CloudFront Functions rules checked on `name` then hold for both.
        const runtimeOf = (i: number | undefined) => (i === undefined ? undefined : ((isRaw(functions[i]) ? (functions[i] as Raw).runtime : undefined) ?? 'nodejs-edge'));
        if (functionIndex !== undefined && runtimeOf(functionIndex) !== runtimeOf(additionalIndex)) {
          issues.push({ path: `${at}.additional.name`, message: `must have the runtime of ${JSON.stringify(name)} (${String(runtimeOf(functionIndex))}), got ${String(runtimeOf(additionalIndex))}` });
        }
      }
    }
  });

  issues.push(...limitIssues(functions, usages, baseDir));
  issues.push(...cloudFrontFunctionIssues(raw, functions, behaviors));
  return issues;
}

/** One issue per function, field and event type, listing every association that imposes the limit. */
function limitIssues(functions: readonly unknown[], usages: readonly Usage[], baseDir: string | undefined): ConfigIssue[] {
  const groups = Map.groupBy(usages, (u) => `${u.functionIndex} ${u.eventType}`);
  const issues: ConfigIssue[] = [];
  // Package size is checked against the strictest event a function is used at (viewer before origin).
  const packageChecked = new Set<number>();
  const byStrictest = [...groups.values()].sort((a, b) => FUNCTION_LIMITS_BY_EVENT[a[0]!.eventType].maxPackageBytes - FUNCTION_LIMITS_BY_EVENT[b[0]!.eventType].maxPackageBytes);
  for (const group of byStrictest) {
    const { functionIndex, eventType } = group[0] as Usage;
    const parsed = functionSchema.safeParse(functions[functionIndex]);
    if (!parsed.success) continue; // its own issues are already reported
    // CloudFront Functions have their own limits (cloudfront-functions-rules.ts).
    if (parsed.data.runtime !== 'nodejs-edge') continue;
    const limits = FUNCTION_LIMITS_BY_EVENT[eventType];
    const usedBy = `used by ${group.map((u) => u.at).join(', ')}`;
    if (parsed.data.memoryMb > limits.maxMemoryMb) {
      issues.push({
        path: `functions[${functionIndex}].memoryMb`,
        message: `${parsed.data.memoryMb} exceeds the ${eventType} limit of ${limits.maxMemoryMb} MB (${usedBy})`,
      });
    }
    if (parsed.data.timeoutMs > limits.maxTimeoutMs) {
      issues.push({
        path: `functions[${functionIndex}].timeoutMs`,
        message: `${parsed.data.timeoutMs} exceeds the ${eventType} limit of ${limits.maxTimeoutMs} ms (${usedBy})`,
      });
    }
    if (baseDir !== undefined && !packageChecked.has(functionIndex)) {
      const codePath = path.resolve(baseDir, parsed.data.code);
      if (!existsSync(codePath)) continue; // reported as file not found
      // Checked once, at the strictest limit: passing it passes the others.
      packageChecked.add(functionIndex);
      let size: number;
      try {
        size = packageSizeBytes(codePath, limits.maxPackageBytes);
      } catch {
        continue; // unreadable: the bundler reports it when the function loads
      }
      if (size > limits.maxPackageBytes) {
        issues.push({
          path: `functions[${functionIndex}].code`,
          message: `the package is ${size} bytes compressed, over the ${eventType} limit of ${limits.maxPackageBytes} bytes (${limits.maxPackageBytes / (1024 * 1024)} MB; ${usedBy})`,
        });
      }
    }
  }
  return issues;
}
