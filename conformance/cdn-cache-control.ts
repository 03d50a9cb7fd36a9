/**
 * CDN-Cache-Control (RFC 9213, "Targeted HTTP Cache Control") tests in the cache-tests suite's own
 * format, written from the RFC for Verge: the npm package `http-cache-tests` predates them. The
 * harness runs this as one more suite, after the package's, and counts it the same way.
 *
 * What the RFC asks of a cache whose target list holds CDN-Cache-Control (Verge's list is just that):
 * - §2.2: if the field is present, valid and non-empty, the cache MUST use it for its caching policy
 *   and MUST ignore Cache-Control and Expires in that response;
 * - §2.2: it MUST implement max-age, must-revalidate, no-store, no-cache and private there, and SHOULD
 *   implement the other directives it supports in Cache-Control (s-maxage, …);
 * - §2.1: the field is a Structured Fields Dictionary (RFC 8941 §3.2); an empty field or one that does
 *   not parse MUST be ignored ("behaves as if the field were not present"); parameters on a directive
 *   are ignored (no BCP 14 keyword there);
 * - §2.2: targeted fields not on the cache's target list MUST NOT change its behaviour and MUST be
 *   passed through;
 * - §3: a CDN MAY remove CDN-Cache-Control before forwarding the response (Verge does).
 *
 * Kinds follow the suite's convention: `required` only where a MUST is broken by the failure;
 * storing and reusing a response is never required (a cache may always decline), so a test whose
 * pass means "the response was reused" is `optimal`. Tests that check a cache did NOT reuse depend on
 * one showing that it honours CDN-Cache-Control at all (`cdn-max-age`), as the package's own
 * Surrogate-Control tests depend on `surrogate-max-age`: otherwise a cache that stores nothing would
 * pass them. A CDN-Cache-Control header sent by the test origin is marked `false` (not compared at the
 * client), since a CDN may remove it.
 */
import type { TestSuite } from './suite-types.ts';

export const cdnCacheControlSuite: TestSuite = {
  name: 'CDN-Cache-Control',
  id: 'cdn-cache-control',
  description: 'These tests check a CDN cache for `CDN-Cache-Control` (RFC 9213), which takes precedence over `Cache-Control` and `Expires` for CDN caches.',
  tests: [
    {
      name: 'An optimal CDN cache reuses a response with positive `CDN-Cache-Control: max-age`',
      id: 'cdn-max-age',
      kind: 'optimal',
      depends_on: ['freshness-none'],
      requests: [
        { response_headers: [['CDN-Cache-Control', 'max-age=3600', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'An optimal CDN cache reuses a response whose `CDN-Cache-Control: max-age` is longer than its `Cache-Control: max-age`',
      id: 'cdn-max-age-longer-than-cc',
      kind: 'optimal',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=1'], ['CDN-Cache-Control', 'max-age=3600', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'CDN cache must not reuse a response once its `CDN-Cache-Control: max-age` has passed, even if its `Cache-Control: max-age` is longer',
      id: 'cdn-max-age-shorter-than-cc',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'max-age=1', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not reuse a response with `CDN-Cache-Control: max-age=0`, even with a positive `Cache-Control: max-age`',
      id: 'cdn-max-age-0',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'max-age=0', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not reuse a response when the `Age` header is greater than its `CDN-Cache-Control: max-age` freshness lifetime',
      id: 'cdn-max-age-age',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Date', 0], ['CDN-Cache-Control', 'max-age=3600', false], ['Age', '7200']], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must ignore `Expires` when `CDN-Cache-Control` is present',
      id: 'cdn-ignores-expires',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Expires', 3600], ['CDN-Cache-Control', 'max-age=1', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not store a response with `CDN-Cache-Control: no-store`, even with a positive `Cache-Control: max-age`',
      id: 'cdn-no-store',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'no-store', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not store a response with `CDN-Cache-Control: private`, even with a positive `Cache-Control: max-age`',
      id: 'cdn-private',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'private', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not reuse a response with `CDN-Cache-Control: no-cache` without validating it, even with a positive `Cache-Control: max-age`',
      id: 'cdn-no-cache',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'no-cache', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'CDN cache must not serve a response stale after `CDN-Cache-Control: must-revalidate` when the origin answers with an error',
      id: 'cdn-must-revalidate',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'max-age=1, must-revalidate', false]], setup: true, pause_after: true },
        { response_status: [503, 'Service Unavailable'], expected_type: 'not_cached', expected_status: 503 },
      ],
    },
    {
      name: 'An optimal CDN cache reuses a response with `CDN-Cache-Control: max-age` even though `Cache-Control: no-store` forbids other caches to store it',
      id: 'cdn-over-cc-no-store',
      kind: 'optimal',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'no-store'], ['CDN-Cache-Control', 'max-age=3600', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'An optimal CDN cache reuses a response with `CDN-Cache-Control: max-age` even though it has `Cache-Control: private`',
      id: 'cdn-over-cc-private',
      kind: 'optimal',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'private'], ['CDN-Cache-Control', 'max-age=3600', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      // RFC 8941 §3.2: a dictionary key starts with a lower-case letter or `*`; Cache-Control parsers
      // fold case, a Structured Fields parser fails.
      name: 'CDN cache must ignore a `CDN-Cache-Control` that is not a valid Structured Fields Dictionary (an upper-case key) and follow `Cache-Control: no-store`',
      id: 'cdn-invalid-uppercase-key',
      depends_on: ['cdn-over-cc-no-store'],
      requests: [
        { response_headers: [['Cache-Control', 'no-store'], ['CDN-Cache-Control', 'Max-Age=3600', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      // RFC 8941 §4.2.2: a dictionary must not end with a comma.
      name: 'CDN cache must ignore a `CDN-Cache-Control` that is not a valid Structured Fields Dictionary (a trailing comma) and follow `Cache-Control: no-store`',
      id: 'cdn-invalid-trailing-comma',
      depends_on: ['cdn-over-cc-no-store'],
      requests: [
        { response_headers: [['Cache-Control', 'no-store'], ['CDN-Cache-Control', 'max-age=3600,', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'An optimal CDN cache falls back to `Cache-Control` when `CDN-Cache-Control` does not parse (`max-age=1` followed by garbage)',
      id: 'cdn-invalid-falls-back',
      kind: 'optimal',
      depends_on: ['cdn-max-age', 'freshness-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', 'max-age=1 garbage', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'An optimal CDN cache falls back to `Cache-Control` when `CDN-Cache-Control` is empty',
      id: 'cdn-empty-falls-back',
      kind: 'optimal',
      depends_on: ['cdn-max-age', 'freshness-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['CDN-Cache-Control', '', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'An optimal CDN cache ignores parameters on `CDN-Cache-Control` directives (`max-age=3600;foo=bar`)',
      id: 'cdn-directive-parameters-ignored',
      kind: 'optimal',
      depends_on: ['cdn-over-cc-no-store'],
      requests: [
        { response_headers: [['Cache-Control', 'no-store'], ['CDN-Cache-Control', 'max-age=3600;foo=bar', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      name: 'An optimal CDN cache reuses a response with `CDN-Cache-Control: s-maxage` longer than its `Cache-Control: max-age`',
      id: 'cdn-s-maxage',
      kind: 'optimal',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=1'], ['CDN-Cache-Control', 's-maxage=3600', false]], setup: true, pause_after: true },
        { expected_type: 'cached' },
      ],
    },
    {
      // s-maxage is not among the five directives §2.2 makes a MUST; it is a SHOULD there.
      name: 'An optimal CDN cache lets `CDN-Cache-Control: s-maxage` override its `max-age`, as in `Cache-Control`',
      id: 'cdn-s-maxage-over-max-age',
      kind: 'optimal',
      depends_on: ['cdn-max-age'],
      requests: [
        { response_headers: [['CDN-Cache-Control', 'max-age=3600, s-maxage=1', false]], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
    {
      name: 'Does the CDN cache remove `CDN-Cache-Control` from the responses it forwards?',
      id: 'cdn-not-forwarded',
      kind: 'check',
      requests: [
        { response_headers: [['CDN-Cache-Control', 'max-age=3600', false]], expected_response_headers_missing: ['CDN-Cache-Control'], pause_after: true },
        { expected_response_headers_missing: ['CDN-Cache-Control'] },
      ],
    },
    {
      name: 'CDN cache must pass through a targeted field that is not on its target list (`ExampleCDN-Cache-Control`), also when it reuses the response',
      id: 'cdn-other-target-passed-through',
      depends_on: ['freshness-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=3600'], ['ExampleCDN-Cache-Control', 'no-store']], setup: true, pause_after: true },
        // Reuse is only the setting here (a cache need not reuse); the check is the header on the reused response.
        { expected_type: 'cached', setup_tests: ['expected_type'], expected_response_headers: [['ExampleCDN-Cache-Control', 'no-store']] },
      ],
    },
    {
      name: 'CDN cache must not let a targeted field that is not on its target list (`ExampleCDN-Cache-Control: max-age`) extend freshness',
      id: 'cdn-other-target-no-effect',
      depends_on: ['freshness-max-age'],
      requests: [
        { response_headers: [['Cache-Control', 'max-age=1'], ['ExampleCDN-Cache-Control', 'max-age=3600']], setup: true, pause_after: true },
        { expected_type: 'not_cached' },
      ],
    },
  ],
};
