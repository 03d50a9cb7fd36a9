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
    behaviors: [{ pathPattern: '*', originId: 'o', functions: hooks[scenario] }],
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
    behaviors.push({ pathPattern: `/cold/${i}`, originId: 'o', functions: { 'viewer-request': { name: `f${i}` } } });
  }
  behaviors.push({ pathPattern: '*', originId: 'o', functions: {} });
  return { listen: { host: '127.0.0.1', port: 0 }, origins: [{ id: 'o', url: `http://127.0.0.1:${originPort}` }], functions, behaviors, ...extra };
}
