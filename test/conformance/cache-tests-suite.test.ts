// The conformance harness's own parts that need no cache run: our CDN-Cache-Control suite is well
// formed for the cache-tests client, and results are counted as cache-tests.fyi counts them. (The
// conformance run itself is `npm run conformance:cache`, not part of npm test: docs/conformance.md.)
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { cdnCacheControlSuite } from '../../conformance/cdn-cache-control.ts';
import { bundledResults, packageSuites } from '../../conformance/suite-package.ts';
import { count, outcomes } from '../../conformance/suite-outcomes.ts';
import type { ResultSet } from '../../conformance/suite-types.ts';

const upstream = await packageSuites();
const all = [...upstream, cdnCacheControlSuite];

test('every CDN-Cache-Control test has an id of its own and depends only on tests that exist', () => {
  const ids = all.flatMap((s) => s.tests.map((t) => t.id));
  expect(new Set(ids).size).toBe(ids.length);
  for (const t of cdnCacheControlSuite.tests) {
    for (const dep of t.depends_on ?? []) expect(ids, `${t.id} depends on ${dep}`).toContain(dep);
  }
  expect(cdnCacheControlSuite.tests.length).toBeGreaterThanOrEqual(10);
});

test('a CDN-Cache-Control header from the test origin is never compared at the client, since a CDN may remove it (RFC 9213 §3)', () => {
  for (const t of cdnCacheControlSuite.tests) {
    for (const r of t.requests) {
      for (const h of r.response_headers ?? []) {
        if (h[0].toLowerCase() === 'cdn-cache-control') expect(h[2], t.id).toBe(false);
      }
    }
  }
});

test('every CDN-Cache-Control test that expects no reuse, and is required, depends on one showing the cache reuses at all', () => {
  for (const t of cdnCacheControlSuite.tests) {
    const expectsNoReuse = t.requests.some((r) => r.expected_type === 'not_cached');
    if (expectsNoReuse && (t.kind ?? 'required') === 'required') expect(t.depends_on?.length ?? 0, t.id).toBeGreaterThan(0);
  }
});

test('the baseline of main counts 49 of 165 required tests passed, 76 of them waiting on a dependency, and 49 of 177 with CDN-Cache-Control', () => {
  const baseline = JSON.parse(readFileSync(new URL('../../conformance/results/baseline-main-no-cache.json', import.meta.url), 'utf8')) as ResultSet;
  const required = count(outcomes(all, upstream, baseline)).required;
  expect(required).toMatchObject({ total: 165, passed: 49, failed: 7, setup: 33, dependency: 76 });
  expect(count(outcomes(all, all, baseline)).required).toMatchObject({ total: 177, passed: 49 });
});

test('the results the package ships for Squid count 122 of 165 required tests passed, as the same code counts ours', async () => {
  const squid = (await bundledResults()).find((r) => r.info.file === 'squid.json');
  expect(squid).toBeDefined();
  expect(count(outcomes(all, upstream, squid!.results)).required).toMatchObject({ total: 165, passed: 122 });
});
