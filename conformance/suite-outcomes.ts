/**
 * How cache-tests.fyi reads a result set: each test's outcome as the suite's own lib/display.mjs
 * decides it (determineTestResult, dependencies honoured), counted by test kind and by suite. The same
 * code counts our run and the results the package ships for other caches, so the figures compare.
 */
import { display } from './suite-package.ts';
import type { CacheTest, ResultSet, TestKind, TestSuite } from './suite-types.ts';

export type Outcome =
  | 'pass' // ✅ a required or optimal test passed
  | 'fail' // ⛔️ a required test failed: a conformance problem
  | 'optional-fail' // ⚠️ an optimal test failed: not a conformance problem
  | 'yes' // a check (behaviour survey) answered yes
  | 'no' // … answered no
  | 'setup-fail' // 🔹 the test could not set up (the cache interfered with the harness)
  | 'harness-fail' // ⁉️
  | 'dependency-fail' // ⚪️ a test it depends on did not pass, so it says nothing
  | 'retry' // ↻ the cache retried a request: to be read by hand
  | 'untested'; // - no result (e.g. a browser-only test)

const BY_SYMBOL: Readonly<Record<string, Outcome>> = {
  '✅': 'pass',
  '⛔️': 'fail',
  '⚠️': 'optional-fail',
  Y: 'yes',
  N: 'no',
  '🔹': 'setup-fail',
  '⁉️': 'harness-fail',
  '⚪️': 'dependency-fail',
  '↻': 'retry',
  '-': 'untested',
};

export const SYMBOL: Readonly<Record<Outcome, string>> = {
  pass: '✅',
  fail: '⛔️',
  'optional-fail': '⚠️',
  yes: 'Y',
  no: 'N',
  'setup-fail': '🔹',
  'harness-fail': '⁉️',
  'dependency-fail': '⚪️',
  retry: '↻',
  untested: '-',
};

export interface TestOutcome {
  readonly suite: TestSuite;
  readonly test: CacheTest;
  readonly kind: TestKind;
  readonly outcome: Outcome;
  /** The failed assertion's or setup step's message, when there is one. */
  readonly message: string | undefined;
  /** For a dependency failure: the first test it depends on that did not pass. */
  readonly failedDependency: string | undefined;
}

/** A reverse proxy or CDN never runs browser-only tests (the suite's runner skips them). */
export const applicable = (test: CacheTest): boolean => test.browser_only !== true;

/**
 * Every applicable test's outcome. `allSuites` must hold every suite a dependency may point into;
 * `suites` are the ones reported. honorDependencies false is the single-test view (cli.mjs uses it).
 */
export function outcomes(allSuites: TestSuite[], suites: readonly TestSuite[], results: ResultSet, honorDependencies = true): TestOutcome[] {
  const list: TestOutcome[] = [];
  const of = (id: string, honour: boolean): Outcome => {
    const symbol = display.determineTestResult(allSuites, id, results, honour)[2];
    const outcome = BY_SYMBOL[symbol];
    if (outcome === undefined) throw new Error(`cache-tests returned an unknown result symbol ${JSON.stringify(symbol)} for ${id}`);
    return outcome;
  };
  for (const suite of suites) {
    for (const test of suite.tests) {
      if (!applicable(test)) continue;
      const outcome = of(test.id, honorDependencies);
      const raw = results[test.id];
      const failedDependency =
        outcome === 'dependency-fail' ? test.depends_on?.find((dep) => !['pass', 'yes'].includes(of(dep, true))) : undefined;
      list.push({ suite, test, kind: test.kind ?? 'required', outcome, message: raw === true || raw === undefined ? undefined : raw[1], failedDependency });
    }
  }
  return list;
}

export interface KindCounts {
  total: number;
  /** pass (required, optimal) or yes (check). */
  passed: number;
  /** fail, optional-fail or no: the cache was tested and did not do it. */
  failed: number;
  setup: number;
  dependency: number;
  /** harness failures, retries, untested. */
  other: number;
}

export type Counts = Record<TestKind, KindCounts>;

const zero = (): KindCounts => ({ total: 0, passed: 0, failed: 0, setup: 0, dependency: 0, other: 0 });

export function count(list: readonly TestOutcome[]): Counts {
  const counts: Counts = { required: zero(), optimal: zero(), check: zero() };
  for (const { kind, outcome } of list) {
    const c = counts[kind];
    c.total++;
    if (outcome === 'pass' || outcome === 'yes') c.passed++;
    else if (outcome === 'fail' || outcome === 'optional-fail' || outcome === 'no') c.failed++;
    else if (outcome === 'setup-fail') c.setup++;
    else if (outcome === 'dependency-fail') c.dependency++;
    else c.other++;
  }
  return counts;
}

/** Counts per suite, in the suites' order. */
export function countBySuite(list: readonly TestOutcome[]): Map<TestSuite, Counts> {
  const bySuite = new Map<TestSuite, TestOutcome[]>();
  for (const o of list) bySuite.set(o.suite, [...(bySuite.get(o.suite) ?? []), o]);
  return new Map([...bySuite].map(([suite, os]) => [suite, count(os)]));
}
