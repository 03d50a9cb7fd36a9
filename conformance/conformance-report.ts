/**
 * The conformance run's printed report: Markdown tables (as the bench prints), so a run's output can
 * be pasted into docs/conformance.md as it is.
 */
import { count, countBySuite, SYMBOL, type Counts, type TestOutcome } from './suite-outcomes.ts';

export interface Implementation {
  readonly name: string;
  /** Outcomes over the package's suites only (the ones every implementation was run on). */
  readonly outcomes: readonly TestOutcome[];
}

const frac = (passed: number, total: number) => `${passed}/${total}`;

/** One row per implementation: the figures cache-tests.fyi compares caches by. */
export function printComparison(impls: readonly Implementation[]): void {
  console.log('| implementation | required passed | required failed ⛔️ | required setup 🔹 / dependency ⚪️ / other | optimal passed | check yes |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const impl of impls) {
    const c = count(impl.outcomes);
    const r = c.required;
    console.log(`| ${impl.name} | ${frac(r.passed, r.total)} | ${r.failed} | ${r.setup} / ${r.dependency} / ${r.other} | ${frac(c.optimal.passed, c.optimal.total)} | ${frac(c.check.passed, c.check.total)} |`);
  }
}

/** One row per suite (test file), for one implementation, every kind. */
export function printSuites(outcomes: readonly TestOutcome[]): void {
  console.log('| suite | required passed | failed ⛔️ | setup 🔹 | dependency ⚪️ | optimal passed | check yes |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const row = (label: string, c: Counts) =>
    console.log(`| ${label} | ${frac(c.required.passed, c.required.total)} | ${c.required.failed} | ${c.required.setup} | ${c.required.dependency} | ${frac(c.optimal.passed, c.optimal.total)} | ${frac(c.check.passed, c.check.total)} |`);
  for (const [suite, c] of countBySuite(outcomes)) row(`${suite.name} (\`${suite.id}\`)`, c);
  row('**all**', count(outcomes));
}

/** Required tests passed per suite, every implementation side by side. */
export function printSuitesSideBySide(impls: readonly Implementation[]): void {
  const perImpl = impls.map((impl) => countBySuite(impl.outcomes));
  console.log(`| suite (required passed) | ${impls.map((i) => i.name).join(' | ')} |`);
  console.log(`|---|${impls.map(() => '---:').join('|')}|`);
  for (const [suite, counts] of perImpl[0]!) {
    if (counts.required.total === 0) continue;
    const cells = perImpl.map((bySuite) => {
      const c = bySuite.get(suite)?.required;
      return c === undefined ? '-' : frac(c.passed, c.total);
    });
    console.log(`| ${suite.name} | ${cells.join(' | ')} |`);
  }
  console.log(`| **all** | ${impls.map((i) => frac(count(i.outcomes).required.passed, count(i.outcomes).required.total)).join(' | ')} |`);
}

/**
 * The required tests that did not pass: failures and setup failures with their messages, dependency
 * failures grouped under the test they wait for (most of them wait for one of a few).
 */
export function printRequiredNotPassed(outcomes: readonly TestOutcome[]): void {
  const required = outcomes.filter((o) => o.kind === 'required');
  const failed = required.filter((o) => o.outcome !== 'pass' && o.outcome !== 'dependency-fail');
  console.log(`Required tests that failed ⛔️ or could not set up 🔹 (${failed.length}):`);
  for (const o of failed) console.log(`  ${SYMBOL[o.outcome]} ${o.test.id} [${o.suite.id}]: ${o.message ?? o.outcome}`);
  const waiting = new Map<string, string[]>();
  for (const o of required) {
    if (o.outcome !== 'dependency-fail') continue;
    const dep = o.failedDependency ?? '?';
    waiting.set(dep, [...(waiting.get(dep) ?? []), o.test.id]);
  }
  const total = [...waiting.values()].reduce((n, ids) => n + ids.length, 0);
  console.log(`Required tests not counted because a test they depend on did not pass (${total}):`);
  for (const [dep, ids] of waiting) console.log(`  ⚪️ waiting for ${dep} (${ids.length}): ${ids.join(', ')}`);
}

/** Tests whose outcome differs between an earlier result file and this run. */
export function printChanges(before: readonly TestOutcome[], after: readonly TestOutcome[], beforeLabel: string): void {
  const old = new Map(before.map((o) => [o.test.id, o.outcome]));
  const changed = after.filter((o) => old.get(o.test.id) !== o.outcome);
  console.log(`Changes since ${beforeLabel} (${changed.length}):`);
  for (const o of changed) {
    const was = old.get(o.test.id);
    console.log(`  ${o.test.id} [${o.kind}]: ${was === undefined ? 'not in that run' : `${SYMBOL[was]} ${was}`} → ${SYMBOL[o.outcome]} ${o.outcome}`);
  }
}
