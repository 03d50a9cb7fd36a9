// The configs the bench runs. Functions live in bench/functions/, each editing one header.
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Scenario = 'b' | 'c' | 'd';

const fn = (name: string) => fileURLToPath(new URL(`./functions/${name}.js`, import.meta.url));

export function edgeConfig(scenario: Scenario, originPort: number): Record<string, unknown> {
  const functions = [
    { name: 'vreq', code: fn('viewer-request') },
    { name: 'oreq', code: fn('origin-request') },
    { name: 'ores', code: fn('origin-response') },
    { name: 'vres', code: fn('viewer-response') },
  ];
  const hooks: Record<Scenario, Record<string, { name: string }>> = {
    b: {},
    c: { 'viewer-request': { name: 'vreq' }, 'viewer-response': { name: 'vres' } },
    d: {
      'viewer-request': { name: 'vreq' },
      'origin-request': { name: 'oreq' },
      'origin-response': { name: 'ores' },
      'viewer-response': { name: 'vres' },
    },
  };
  return {
    listen: { host: '127.0.0.1', port: 0 },
    origins: [{ id: 'o', url: `http://127.0.0.1:${originPort}` }],
    functions: scenario === 'b' ? [] : functions,
    // The origin marks its response fresh for 60 s: without CachingDisabled, (b)–(d) would measure cache
    // hits once the node has a cache, not the proxy and hook path they are about (cache-hit.ts measures hits).
    behaviors: [{ pathPattern: '*', originId: 'o', functions: hooks[scenario], cachePolicy: 'CachingDisabled' }],
  };
}

/** The path the workers scenario requests: the origin marks it fresh for an hour (origin-server.ts). */
export const WORKERS_PATH = '/cacheable';

/**
 * The workers scenario's edge: scenario (c)'s two viewer functions in front of a memory cache, so
 * after each worker's first request every response is a hit (viewer hooks run on hits too) and the
 * origin, another process on the same cores, drops out of the measurement.
 */
export function workersConfig(originPort: number): Record<string, unknown> {
  const c = edgeConfig('c', originPort) as { behaviors: Record<string, unknown>[] };
  return { ...c, cache: { store: 'memory' }, behaviors: c.behaviors.map((b) => ({ ...b, cachePolicy: 'CachingOptimized' })) };
}

/** The cache-hit scenario's edges: a cache in front of the origin's /cacheable, with or without a viewer-response function. */
export type CacheHitScenario = 'cache' | 'cache+viewer-response';

export function cacheHitConfig(scenario: CacheHitScenario, originPort: number): Record<string, unknown> {
  const withFunction = scenario === 'cache+viewer-response';
  return {
    listen: { host: '127.0.0.1', port: 0 },
    origins: [{ id: 'o', url: `http://127.0.0.1:${originPort}` }],
    cache: { store: 'memory' },
    // A small, realistic viewer-response function: adds six security headers to every response, hits included.
    functions: withFunction ? [{ name: 'security-headers', code: fileURLToPath(new URL('../edge-functions/security-headers/index.js', import.meta.url)) }] : [],
    behaviors: [
      {
        pathPattern: '*',
        originId: 'o',
        // CloudFront's usual policy for static content; the origin's max-age=3600 sets the TTL.
        cachePolicy: 'CachingOptimized',
        functions: withFunction ? { 'viewer-response': { name: 'security-headers' } } : {},
      },
    ],
  };
}

/** A function runtime the cold-start scenario measures: its smallest realistic viewer-request function. */
export interface RuntimeUnderTest {
  readonly label: string;
  /** The function's source; each copy gets a different trailing comment, so a different version. */
  readonly source: string;
  /** Extra fields of its `functions[]` entry, e.g. `{ runtime: 'cloudfront-js-2.0' }`. */
  readonly functionFields: Record<string, unknown>;
}

/** The runtimes cold starts are measured for, each with its smallest realistic viewer-request function. */
export const RUNTIMES: readonly RuntimeUnderTest[] = [
  { label: 'Lambda@Edge (nodejs-edge)', source: readFileSync(fn('viewer-request'), 'utf8'), functionFields: {} },
  { label: 'Lambda@Edge using crypto + querystring', source: readFileSync(fn('viewer-request-modules'), 'utf8'), functionFields: {} },
  { label: 'CloudFront Functions (cloudfront-js-2.0)', source: readFileSync(fn('cff-viewer-request'), 'utf8'), functionFields: { runtime: 'cloudfront-js-2.0', timeoutMs: 1000 } },
];

/** `count` distinct functions (distinct code, so distinct versions), each on its own path. */
export function coldStartConfig(originPort: number, count: number, runtime: RuntimeUnderTest = RUNTIMES[0]!, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const dir = join(tmpdir(), `verge-bench-cold-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const functions = [];
  const behaviors = [];
  // Unique per call, so two runs in one process never share a version.
  const run = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  for (let i = 0; i < count; i++) {
    const file = join(dir, `f${i}.js`);
    writeFileSync(file, `${runtime.source}\n// version ${run} ${i}\n`);
    functions.push({ name: `f${i}`, code: file, ...runtime.functionFields });
    // CachingDisabled: a warm request must pay the same origin fetch as the cold one it is compared with.
    behaviors.push({ pathPattern: `/cold/${i}`, originId: 'o', functions: { 'viewer-request': { name: `f${i}` } }, cachePolicy: 'CachingDisabled' });
  }
  behaviors.push({ pathPattern: '*', originId: 'o', functions: {}, cachePolicy: 'CachingDisabled' });
  return { listen: { host: '127.0.0.1', port: 0 }, origins: [{ id: 'o', url: `http://127.0.0.1:${originPort}` }], functions, behaviors, ...extra };
}
