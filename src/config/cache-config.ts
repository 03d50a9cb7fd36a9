/**
 * The cache's options: the node-wide `cache` section (which store, how big) and the per-behavior
 * `cachePolicy` (what forms the cache key, the TTL bounds) and `compress`. Names follow CloudFront's
 * CachePolicyConfig (ParametersInCacheKeyAndForwardedToOrigin, MinTTL/DefaultTTL/MaxTTL) in our units.
 */
import { z } from 'zod';

const intIn = (min: number, max: number) => z.int().min(min).max(max);

/** Node-wide: where responses are kept. One store per worker process (memory) or one directory shared by all (disk). */
export const cacheSchema = z.strictObject({
  store: z.enum(['memory', 'disk']).default('memory'),
  // Total bytes of bodies and headers kept; least recently used entries are evicted past it.
  maxSizeMb: intIn(1, 1_048_576).default(256),
  // A larger response is passed through, not stored (CloudFront's own cap is 50 GB; ours guards memory).
  maxObjectSizeMb: intIn(1, 1_048_576).default(64),
  // The disk store's directory (relative to the config file); required by `store: disk`.
  dir: z.string().min(1).optional(),
  // Request collapsing: how long a request waits for another's identical origin fetch before going itself.
  collapseWaitMs: intIn(0, 180_000).default(10_000),
}).superRefine((cache, ctx) => {
  if (cache.store === 'disk' && cache.dir === undefined) ctx.addIssue({ code: 'custom', path: ['dir'], message: 'is required when store is "disk"' });
  if (cache.maxObjectSizeMb > cache.maxSizeMb) ctx.addIssue({ code: 'custom', path: ['maxObjectSizeMb'], message: `must not exceed maxSizeMb (${cache.maxSizeMb})` });
});

// CloudFront's CachePolicy…Behavior values, camel-cased: none | whitelist | allExcept | all.
const keyItems = z.array(z.string().min(1)).default([]);
const headersInKey = z.strictObject({ behavior: z.enum(['none', 'whitelist']).default('none'), items: keyItems });
const listInKey = z.strictObject({ behavior: z.enum(['none', 'whitelist', 'allExcept', 'all']).default('none'), items: keyItems });

// 31536000 s (one year) is CloudFront's default MaxTTL.
const ttlS = intIn(0, 3_153_600_000);
export const customCachePolicySchema = z
  .strictObject({
    minTtlS: ttlS.default(0),
    defaultTtlS: ttlS.default(86_400),
    maxTtlS: ttlS.default(31_536_000),
    headers: headersInKey.prefault({}),
    cookies: listInKey.prefault({}),
    queryStrings: listInKey.prefault({}),
    enableAcceptEncodingGzip: z.boolean().default(false),
    enableAcceptEncodingBrotli: z.boolean().default(false),
  })
  .superRefine((p, ctx) => {
    // CloudFront's rule: MinTTL ≤ DefaultTTL ≤ MaxTTL.
    if (p.minTtlS > p.defaultTtlS) ctx.addIssue({ code: 'custom', path: ['defaultTtlS'], message: `must be at least minTtlS (${p.minTtlS})` });
    if (p.defaultTtlS > p.maxTtlS) ctx.addIssue({ code: 'custom', path: ['maxTtlS'], message: `must be at least defaultTtlS (${p.defaultTtlS})` });
  });

export type CustomCachePolicyInput = z.input<typeof customCachePolicySchema>;

export interface KeyList {
  readonly behavior: 'none' | 'whitelist' | 'allExcept' | 'all';
  /** Header names lower-cased; cookie and query-string names as written (they are case-sensitive). */
  readonly items: readonly string[];
}

/** A resolved cache policy: a managed preset or the behavior's own. */
export interface CachePolicyConfig {
  /** The preset's name, or `custom`. */
  readonly name: string;
  readonly minTtlS: number;
  readonly defaultTtlS: number;
  readonly maxTtlS: number;
  readonly headers: KeyList;
  readonly cookies: KeyList;
  readonly queryStrings: KeyList;
  readonly enableAcceptEncodingGzip: boolean;
  readonly enableAcceptEncodingBrotli: boolean;
}

const none: KeyList = { behavior: 'none', items: [] };
const all: KeyList = { behavior: 'all', items: [] };
const originHeaders: KeyList = { behavior: 'whitelist', items: ['host', 'origin', 'x-http-method-override', 'x-http-method', 'x-method-override'] };

/**
 * CloudFront's managed cache policies ("Use managed cache policies", CloudFront Developer Guide),
 * with their published settings. CloudFront caching is off when MaxTTL is 0 (CachingDisabled).
 */
export const MANAGED_CACHE_POLICIES: Readonly<Record<string, CachePolicyConfig>> = {
  CachingOptimized: {
    name: 'CachingOptimized', minTtlS: 1, defaultTtlS: 86_400, maxTtlS: 31_536_000,
    headers: none, cookies: none, queryStrings: none, enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true,
  },
  CachingOptimizedForUncompressedObjects: {
    name: 'CachingOptimizedForUncompressedObjects', minTtlS: 1, defaultTtlS: 86_400, maxTtlS: 31_536_000,
    headers: none, cookies: none, queryStrings: none, enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false,
  },
  CachingDisabled: {
    name: 'CachingDisabled', minTtlS: 0, defaultTtlS: 0, maxTtlS: 0,
    headers: none, cookies: none, queryStrings: none, enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false,
  },
  // Honours the origin's Cache-Control exactly: nothing is cached without explicit freshness (DefaultTTL 0).
  UseOriginCacheControlHeaders: {
    name: 'UseOriginCacheControlHeaders', minTtlS: 0, defaultTtlS: 0, maxTtlS: 31_536_000,
    headers: originHeaders, cookies: all, queryStrings: none, enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true,
  },
  'UseOriginCacheControlHeaders-QueryStrings': {
    name: 'UseOriginCacheControlHeaders-QueryStrings', minTtlS: 0, defaultTtlS: 0, maxTtlS: 31_536_000,
    headers: originHeaders, cookies: all, queryStrings: all, enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true,
  },
};

/**
 * The default when a behavior names no policy: cache exactly what the origin marks cacheable, keyed by
 * the whole URL (path and query string) and cookies. A proxy in front of an existing site must never
 * serve one user's page to another, so nothing is cached on a guess (DefaultTTL 0).
 */
export const DEFAULT_CACHE_POLICY = 'UseOriginCacheControlHeaders-QueryStrings';

const MANAGED_RULE = `must be one of the managed policies (${Object.keys(MANAGED_CACHE_POLICIES).join(', ')}) or an object`;

// Parsed by hand rather than z.union: a union reports "Invalid input" for a bad custom policy instead
// of naming the option that is wrong.
export const cachePolicySchema = z
  .unknown()
  .default(DEFAULT_CACHE_POLICY)
  .transform((input, ctx): CachePolicyConfig => {
    if (typeof input === 'string') {
      const managed = MANAGED_CACHE_POLICIES[input];
      if (managed === undefined || !Object.hasOwn(MANAGED_CACHE_POLICIES, input)) {
        ctx.addIssue({ code: 'custom', message: MANAGED_RULE });
        return z.NEVER;
      }
      return managed;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: MANAGED_RULE });
      return z.NEVER;
    }
    const parsed = customCachePolicySchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      return z.NEVER;
    }
    const policy = parsed.data;
    const lower = (list: KeyList): KeyList => ({ behavior: list.behavior, items: list.items.map((h) => h.toLowerCase()) });
    return { name: 'custom', ...policy, headers: lower(policy.headers) };
  });

export interface CacheConfig {
  readonly store: 'memory' | 'disk';
  readonly maxSizeMb: number;
  readonly maxObjectSizeMb: number;
  /** Absolute directory of the disk store. */
  readonly dir: string | undefined;
  readonly collapseWaitMs: number;
}
