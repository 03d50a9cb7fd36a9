import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Request collapsing waits a bounded time (cache.collapseWaitMs): past it, a waiting request goes to
// the origin itself rather than hang behind a slow leader.

let origin: TestOrigin;
let edge: TestEdge;
let inFlight = 0;
let most = 0;

beforeAll(async () => {
  origin = await startOrigin((_req, res) => {
    most = Math.max(most, ++inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'Cache-Control': 'max-age=60' });
      res.end('slow');
    }, 1_000);
  });
  edge = await startEdge({ cache: { collapseWaitMs: 100 }, origins: [{ id: 'o', url: origin.url }], behaviors: [{ pathPattern: '*', originId: 'o' }] });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('a request waits at most collapseWaitMs for the leader, then fetches on its own', async () => {
  const leader = send(`${edge.url}/slow`);
  await new Promise((r) => setTimeout(r, 50));
  const waiter = send(`${edge.url}/slow`);
  const [a, b] = await Promise.all([leader, waiter]);
  expect([a.text, b.text]).toEqual(['slow', 'slow']);
  // The waiter gave up on the leader after 100 ms and was at the origin while the leader still was.
  expect(most).toBe(2);
  expect(origin.seen.filter((r) => r.url === '/slow')).toHaveLength(2);
  // It did not get the leader's response, so it was not collapsed (RFC 9211 §2.6).
  expect(b.headers['cache-status']).not.toMatch(/collapsed/);
});
