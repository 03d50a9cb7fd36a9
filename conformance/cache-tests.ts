// `npm run conformance:cache`: the public HTTP cache-tests suite (npm `http-cache-tests`, as run for
// cache-tests.fyi) plus our CDN-Cache-Control suite, against one Verge edge node in front of the
// suite's origin server, all in this process on 127.0.0.1. Prints passes by kind and by suite next
// to the results the package ships for other caches, writes the raw results (the suite's own JSON
// format) to conformance/results/verge.json. A measurement: exits 0 whatever passes; 1 only when
// the harness itself breaks (Verge does not start, the suite cannot reach its origin, a timeout).
//
//   npm run conformance:cache                                   # everything
//   npm run conformance:cache -- --id freshness-max-age          # one test, with the request/response dump
//   npm run conformance:cache -- --suite cdn-cache-control       # one suite
//   npm run conformance:cache -- --compare conformance/results/baseline-main-no-cache.json
//
// See docs/conformance.md.
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/load-config.ts';
import { createLogger, flushLogger } from '../src/observability/logger.ts';
import { startEdgeNode, type EdgeNode } from '../src/proxy/edge-node.ts';
import { cdnCacheControlSuite } from './cdn-cache-control.ts';
import { printChanges, printComparison, printRequiredNotPassed, printSuites, printSuitesSideBySide, type Implementation } from './conformance-report.ts';
import { startSuiteOrigin, type SuiteOrigin } from './suite-origin.ts';
import { bundledResults, nodeFetch, packageSuites, runner, SUITE_VERSION, type SuiteFetch } from './suite-package.ts';
import { applicable, count, outcomes, SYMBOL } from './suite-outcomes.ts';
import type { ResultSet, TestSuite } from './suite-types.ts';

const RESULTS_DIR = join(import.meta.dirname, 'results');

const OPTIONS = {
  id: { type: 'string' },
  suite: { type: 'string' },
  out: { type: 'string', default: join(RESULTS_DIR, 'verge.json') },
  compare: { type: 'string' },
  // Every request of the suite: to its response's end. A test has at most a few requests and 3 s pauses.
  'request-timeout-ms': { type: 'string', default: '15000' },
  // The whole run; the full suite takes about 20 s (tests run 100 at a time, each pausing 3 s at most a few times).
  'timeout-s': { type: 'string', default: '300' },
} as const;

type Args = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
let args: Args;

/** A failure of the harness itself, not of the cache under test: exit 1. */
class HarnessError extends Error {}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new HarnessError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * The node under test: a shared cache that follows the origin's headers as RFC 9111 does. defaultTtlS 0
 * so nothing without explicit freshness is stored (the suite's `freshness-none` check; heuristic
 * freshness still applies where the response allows it), every query string in the key (the suite's
 * URLs differ by query in some tests), no compression (the suite compares bodies byte for byte),
 * one worker: each worker process has its own memory store.
 */
function vergeConfig(originUrl: string): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    workers: 1,
    cache: { store: 'memory' },
    origins: [{ id: 'cache-tests', url: originUrl }],
    behaviors: [
      {
        pathPattern: '*',
        originId: 'cache-tests',
        cachePolicy: { minTtlS: 0, defaultTtlS: 0, maxTtlS: 31_536_000, queryStrings: { behavior: 'all' } },
        compress: false,
      },
    ],
  };
}

interface Selection {
  /** The suites reported on. */
  readonly report: TestSuite[];
  /** The suites run: the reported ones plus, from other suites, the tests they depend on. */
  readonly run: TestSuite[];
}

function selectSuites(all: TestSuite[]): Selection {
  if (args.id !== undefined) {
    for (const suite of all) {
      const test = suite.tests.find((t) => t.id === args.id);
      if (test === undefined) continue;
      if (!applicable(test)) throw new HarnessError(`${args.id} is a browser-only test; a proxy cannot run it`);
      test.dump = true;
      // Alone, as the suite's cli.mjs runs one test: its dependencies are not run (nor honoured).
      const one = [{ ...suite, tests: [test] }];
      return { report: one, run: one };
    }
    throw new HarnessError(`no test has the id ${JSON.stringify(args.id)}`);
  }
  if (args.suite !== undefined) {
    const suite = all.find((s) => s.id === args.suite);
    if (suite === undefined) throw new HarnessError(`no suite has the id ${JSON.stringify(args.suite)}; suites: ${all.map((s) => s.id).join(', ')}`);
    return { report: [suite], run: withDependencies(all, suite) };
  }
  return { report: all, run: all };
}

/** The suite and every test (of any suite) its tests depend on, transitively, so dependencies are honoured. */
function withDependencies(all: TestSuite[], suite: TestSuite): TestSuite[] {
  const byId = new Map(all.flatMap((s) => s.tests.map((t) => [t.id, s] as const)));
  const needed = new Set<string>();
  const visit = (id: string) => {
    if (needed.has(id)) return;
    needed.add(id);
    const owner = byId.get(id);
    for (const dep of owner?.tests.find((t) => t.id === id)?.depends_on ?? []) visit(dep);
  };
  for (const t of suite.tests) visit(t.id);
  return all
    .map((s) => (s === suite ? s : { ...s, tests: s.tests.filter((t) => needed.has(t.id)) }))
    .filter((s) => s.tests.length > 0);
}

/** node-fetch with a deadline on every request: a cache that hangs makes a test fail, not the run. */
function boundedFetch(timeoutMs: number): SuiteFetch {
  return (url, init = {}) => nodeFetch(url, { ...init, timeout: timeoutMs });
}

/** The suite sets state up with PUT: a cache that does not pass PUT through fails every test in setup. */
async function checkHarness(vergeUrl: string): Promise<void> {
  const probe = `harness-probe-${process.pid}-${Date.now()}`;
  const res = (await nodeFetch(`${vergeUrl}/config/${probe}`, { method: 'PUT', body: '[]', headers: [['content-type', 'application/json']], timeout: 10_000 })) as { status: number; text(): Promise<string> };
  const body = await res.text();
  if (res.status !== 201) throw new HarnessError(`PUT through Verge to the suite's origin answered ${res.status}, not 201: ${body.slice(0, 200)}`);
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HarnessError(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  try {
    args = parseArgs({ options: OPTIONS, strict: true }).values;
  } catch (err) {
    throw new HarnessError(`${(err as Error).message}; options: ${Object.keys(OPTIONS).map((o) => `--${o}`).join(', ')}`);
  }
  const requestTimeoutMs = positive('request-timeout-ms', args['request-timeout-ms']);
  const runTimeoutMs = positive('timeout-s', args['timeout-s']) * 1000;
  const upstream = await packageSuites();
  const all = [...upstream, cdnCacheControlSuite];
  const { report: selected, run } = selectSuites(all);

  mkdirSync(RESULTS_DIR, { recursive: true });
  let origin: SuiteOrigin | undefined;
  let node: EdgeNode | undefined;
  const logFile = join(RESULTS_DIR, 'verge.log');
  // VERGE_LOG_LEVEL as for `verge serve` (info: an access line per request, with its x-cache).
  const logger = createLogger({ stream: createWriteStream(logFile) });
  let results: ResultSet;
  try {
    origin = await startSuiteOrigin();
    const configFile = join(RESULTS_DIR, 'verge.config.json');
    writeFileSync(configFile, `${JSON.stringify(vergeConfig(origin.url), null, 2)}\n`);
    node = await startEdgeNode(await loadConfig(configFile), { logger });
    console.log(`cache-tests ${SUITE_VERSION} + CDN-Cache-Control (${cdnCacheControlSuite.tests.length} tests): Verge ${node.url} in front of the suite's origin ${origin.url}`);
    console.log(`Verge config: ${relative(process.cwd(), configFile)}, its log: ${relative(process.cwd(), logFile)}`);
    await checkHarness(node.url);
    await withDeadline(runner.runTests(run, boundedFetch(requestTimeoutMs), false, node.url), runTimeoutMs, 'the test run');
    results = runner.getResults();
  } finally {
    await node?.close(1000);
    await origin?.close();
    await flushLogger(logger);
  }

  if (args.id !== undefined) {
    // As the suite's cli.mjs reports one test: without its dependencies (they were not run).
    const [o] = outcomes(all, selected, results, false);
    console.log(`\n==== Result of ${args.id} (${o!.kind}): ${SYMBOL[o!.outcome]} ${o!.outcome}${o!.message === undefined ? '' : ` - ${o!.message}`}`);
    return;
  }

  const out = args.out!;
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`Raw results (the suite's format, comparable with its results/*.json): ${relative(process.cwd(), out)}\n`);

  const ranUpstream = selected.filter((s) => upstream.includes(s));
  const vergeUpstream = outcomes(all, ranUpstream, results);
  const vergeSelected = outcomes(all, selected, results);
  const req = count(vergeUpstream).required;
  const reqAll = count(vergeSelected).required;
  if (ranUpstream.length > 0) console.log(`Verge passed ${req.passed} of ${req.total} required tests of cache-tests ${SUITE_VERSION} (${ranUpstream.length} of its suites)`);
  if (selected.includes(cdnCacheControlSuite)) {
    console.log(`Verge passed ${reqAll.passed} of ${reqAll.total} required tests ${ranUpstream.length > 0 ? 'including' : 'of'} CDN-Cache-Control`);
  }

  console.log('\nVerge, by suite:\n');
  printSuites(vergeSelected);

  if (ranUpstream.length > 0) {
    // Other caches' results as the package ships them (browsers left out: private caches), counted
    // by the same code over the same tests.
    const others: Implementation[] = (await bundledResults())
      .filter(({ info }) => info.type !== 'browser')
      .map(({ info, results: r }) => ({ name: `${info.name} ${info.version}`, outcomes: outcomes(all, ranUpstream, r) }));
    const impls: Implementation[] = [{ name: 'Verge (this run)', outcomes: vergeUpstream }, ...others];
    console.log(`\nCompared with the results cache-tests ${SUITE_VERSION} ships for other caches (its own suites only; those runs predate our CDN-Cache-Control tests):\n`);
    printComparison(impls);
    console.log('');
    printSuitesSideBySide(impls);
  }

  console.log('');
  printRequiredNotPassed(vergeSelected);
  if (args.compare !== undefined) {
    const before = JSON.parse(readFileSync(args.compare, 'utf8')) as ResultSet;
    console.log('');
    printChanges(outcomes(all, selected, before), vergeSelected, args.compare);
  }
}

try {
  await main();
  process.exit(0);
} catch (err) {
  console.error(`conformance harness failed: ${err instanceof HarnessError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
}
