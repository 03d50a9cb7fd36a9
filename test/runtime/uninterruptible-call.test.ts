import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A call that V8 cannot interrupt (edge-functions/fixtures/uninterruptible-builtin.js,
// huge-array-fill.js) holds the thread it runs on for as long as it runs, whatever the timeout. A function's first call runs on
// the node's thread (cut at the 50 ms sync slice, which cannot cut this one); once a call has held
// that thread far past its slice, the version's next calls run on isolated-vm's thread pool, and
// the node's event loop stays free while they run.

const fixture = (name: string) => fileURLToPath(new URL(`../../edge-functions/fixtures/${name}.js`, import.meta.url));
// ~1.2 s of one builtin on this machine (~59 ns an index), far past 4 × the 50 ms slice.
const PATH = '/uninterruptible-builtin?length=2e7';

let origin: TestOrigin;
let edge: TestEdge;
beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      { name: 'uninterruptible-builtin', code: fixture('uninterruptible-builtin'), timeoutMs: 5000 },
      { name: 'huge-array-fill', code: fixture('huge-array-fill'), memoryMb: 128, timeoutMs: 5000 },
      { name: 'uninterruptible-timed', code: fixture('uninterruptible-builtin'), timeoutMs: 3000 },
    ],
    behaviors: [
      { pathPattern: '/huge-array-fill', originId: 'o', functions: { 'viewer-request': { name: 'huge-array-fill' } } },
      { pathPattern: '/uninterruptible-builtin', originId: 'o', functions: { 'viewer-request': { name: 'uninterruptible-builtin' } } },
      { pathPattern: '/uninterruptible-timed', originId: 'o', functions: { 'viewer-request': { name: 'uninterruptible-timed' } } },
      { pathPattern: '*', originId: 'o' },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

/** Sends one request while a 10 ms timer measures the longest the event loop went without a turn. */
async function sendWatchingLoop(url: string): Promise<{ status: number; text: string; longestGapMs: number }> {
  let last = performance.now();
  let longestGapMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
  }, 10);
  try {
    const res = await send(url);
    return { status: res.status, text: res.text, longestGapMs: Math.max(longestGapMs, performance.now() - last) };
  } finally {
    clearInterval(ticker);
  }
}

test('after an uninterruptible call ended in a memory error far past its sync slice, the version runs on the thread pool and the event loop stays free', async () => {
  // huge-array-fill: Array.prototype.fill over 6e7 dictionary elements holds the thread for 6 s or
  // more before isolated-vm's memory limit can act; the call then fails with a memory error, not
  // with the slice's timeout, so only the overrun itself says it must leave this thread.
  const first = await sendWatchingLoop(`${edge.url}/huge-array-fill`);
  expect(first.status).toBe(503);
  expect(first.text).toContain('VERGE_ERR_FUNCTION_MEMORY');
  expect(first.longestGapMs).toBeGreaterThan(4 * 50);

  // On the pool the wall-clock deadline (5 s) is armed from the start, so it may answer first.
  const second = await sendWatchingLoop(`${edge.url}/huge-array-fill`);
  expect(second.status).toBe(503);
  expect(second.text).toMatch(/VERGE_ERR_FUNCTION_(MEMORY|TIMEOUT)/);
  expect(second.longestGapMs).toBeLessThan(first.longestGapMs / 3);
}, 120_000);

test('after an uninterruptible call held the node thread past its sync slice, the version runs on the thread pool and the event loop stays free', async () => {
  // The first call runs on this thread: the builtin holds it until it returns. Then the call either
  // returns (the 50 ms timeout's termination found no interrupt check before the end) or is cut at
  // the first check after the builtin and re-run on the pool; either way it is answered.
  const first = await sendWatchingLoop(`${edge.url}${PATH}`);
  expect(first).toMatchObject({ status: 200, text: 'visited 20000000 indices' });
  expect(first.longestGapMs).toBeGreaterThan(4 * 50);

  // The same version again: it runs as long, but on a pool thread.
  const second = await sendWatchingLoop(`${edge.url}${PATH}`);
  expect(second).toMatchObject({ status: 200, text: 'visited 20000000 indices' });
  expect(second.longestGapMs).toBeLessThan(first.longestGapMs / 3);
}, 60_000);

test('on the thread pool, a call that V8 cannot interrupt is answered with VERGE_ERR_FUNCTION_TIMEOUT at its deadline, not when the builtin ends', async () => {
  // ~1.2 s on the node's thread, which moves the version to the pool (on a loaded machine the call
  // may also run out of its 3 s; either way the version leaves the node's thread).
  expect([200, 503]).toContain((await send(`${edge.url}/uninterruptible-timed?length=2e7`)).status);
  expect(edge.node.registry.get('uninterruptible-timed').mode).toBe('async');
  // The default length holds a thread for about a minute; the deadline (3 s) answers the request.
  const started = performance.now();
  const res = await send(`${edge.url}/uninterruptible-timed`);
  const tookMs = performance.now() - started;
  expect(res.status).toBe(503);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_TIMEOUT');
  expect(tookMs).toBeGreaterThan(2_500);
  expect(tookMs).toBeLessThan(15_000);
  // And the node keeps answering the same version on a fresh isolate.
  expect(await send(`${edge.url}/uninterruptible-timed?length=1e3`)).toMatchObject({ status: 200, text: 'visited 1000 indices' });
}, 60_000);
