import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Timer callbacks run on isolated-vm's thread pool, never on the node's main thread: a function that
// spins in one of them must not stall the event loop that serves every other request. Two timers due
// at once used to be fired as two async calls into the same isolate; the main thread's synchronous
// poll after the first then waited for the isolate's lock while the second ran its 2 s loop.

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  const spin = `exports.handler = async (event) => {
  setTimeout(() => {}, 20);
  setTimeout(() => { const t = Date.now(); while (Date.now() - t < 2000); }, 20);
  await new Promise((r) => setTimeout(r, 2500));
  return event.Records[0].cf.request;
};`;
  const spinForever = `exports.handler = async (event) => {
  setTimeout(() => {}, 20);
  setTimeout(() => { for (;;); }, 20);
  await new Promise(() => {});
};`;
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      { name: 'spin', code: functionFile(spin), timeoutMs: 5000 },
      { name: 'forever', code: functionFile(spinForever), timeoutMs: 1000 },
    ],
    behaviors: [
      { pathPattern: '/forever', originId: 'o', functions: { 'viewer-request': { name: 'forever' } } },
      { pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'spin' } } },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

/** Runs `work` while a 10 ms ticker measures the longest gap between ticks of this process's event loop. */
async function longestStallMs<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    return { result, stallMs };
  } finally {
    clearInterval(ticker);
  }
}

test('a timer callback spinning for 2 s does not stall the event loop, and the function still answers', async () => {
  const { result, stallMs } = await longestStallMs(() => send(`${edge.url}/x`));
  expect(result.status).toBe(200);
  expect(result.text).toBe('hello from origin');
  // The stall this guards against lasted the whole 2 s loop; scheduling noise on a busy machine is far below.
  expect(stallMs).toBeLessThan(500);
});

test('a timer callback that never ends times out without stalling the event loop', async () => {
  const { result, stallMs } = await longestStallMs(() => send(`${edge.url}/forever`));
  expect(result.status).toBeGreaterThanOrEqual(500);
  expect(stallMs).toBeLessThan(500);
});
