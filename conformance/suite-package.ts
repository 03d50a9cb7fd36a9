/**
 * The npm package `http-cache-tests` (the public HTTP cache-tests suite behind cache-tests.fyi, by
 * Mark Nottingham), loaded from node_modules with types. It is plain JavaScript without types of its
 * own, so its modules are imported by path here, once, and given the shapes of ./suite-types.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ImplementationInfo, ResultSet, TestSuite } from './suite-types.ts';

const require = createRequire(import.meta.url);
/** The package's directory (it has no `exports` map, so package.json resolves). */
export const SUITE_DIR = dirname(require.resolve('http-cache-tests/package.json'));
export const SUITE_VERSION = (require('http-cache-tests/package.json') as { version: string }).version;

async function load<T>(path: string): Promise<T> {
  return (await import(pathToFileURL(join(SUITE_DIR, path)).href)) as T;
}

/** The minimal fetch the suite's client needs (node-fetch 2's, as the suite's own cli.mjs uses). */
export type SuiteFetch = (url: string, init?: Record<string, unknown>) => Promise<unknown>;

export interface SuiteRunner {
  /** Runs every test of the suites, chunkSize at a time, against baseUrl. Module state: once per process. */
  runTests(suites: TestSuite[], fetch: SuiteFetch, browserCache: boolean, baseUrl: string, chunkSize?: number): Promise<void>;
  getResults(): ResultSet;
}

export interface SuiteDisplay {
  /** [font-awesome glyph, colour, console symbol]: the symbol is one of ✅ ⛔️ ⚠️ Y N 🔹 ⁉️ ⚪️ ↻ -. */
  determineTestResult(suites: TestSuite[], testId: string, results: ResultSet, honorDependencies?: boolean): readonly [string, string, string];
}

export type SuiteHandler = (pathSegs: string[], request: IncomingMessage, response: ServerResponse) => void;

export const runner = await load<SuiteRunner>('client/runner.mjs');
export const display = await load<SuiteDisplay>('lib/display.mjs');

/** The origin server's request handlers (server/server.mjs dispatches /config, /test and /state to them). */
export const serverHandlers = {
  config: (await load<{ default: SuiteHandler }>('server/handle-config.mjs')).default,
  test: (await load<{ default: SuiteHandler }>('server/handle-test.mjs')).default,
  state: (await load<{ default: SuiteHandler }>('server/handle-state.mjs')).default,
};

/**
 * The suites the package's command-line client runs (cli.mjs): tests/index.mjs plus Surrogate-Control.
 * Fresh objects per call would not help: the runner keeps its state per process anyway.
 */
export async function packageSuites(): Promise<TestSuite[]> {
  const index = (await load<{ default: TestSuite[] }>('tests/index.mjs')).default;
  const surrogate = (await load<{ default: TestSuite }>('tests/surrogate-control.mjs')).default;
  return [...index, surrogate];
}

/** The implementations whose results the package ships (results/*.json, listed in results/index.mjs). */
export async function bundledResults(): Promise<{ info: ImplementationInfo; results: ResultSet }[]> {
  const index = (await load<{ default: ImplementationInfo[] }>('results/index.mjs')).default;
  const { readFile } = await import('node:fs/promises');
  return Promise.all(
    index.map(async (info) => ({ info, results: JSON.parse(await readFile(join(SUITE_DIR, 'results', info.file), 'utf8')) as ResultSet })),
  );
}

/** node-fetch 2, the suite's own dependency (its client passes headers as [name, value] pairs). */
export const nodeFetch = require(require.resolve('node-fetch', { paths: [SUITE_DIR] })) as SuiteFetch;
