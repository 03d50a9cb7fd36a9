import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fn, PASS_REQUEST } from '../helpers/cf-fixtures.ts';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Shutdown (SIGTERM in `verge serve` calls node.close()): stop accepting, let requests in flight finish.

let origin: TestOrigin;
let edge: TestEdge;
let arrived = 0;

beforeAll(async () => {
  origin = await startOrigin((_req, res) => {
    arrived++;
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('slow but complete');
    }, 300);
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [fn('pass', PASS_REQUEST)],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'pass' } } }],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

function connectError(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    req.end();
  });
}

test('a request in flight when close() is called completes with 200, and new connections are refused', async () => {
  const inFlight = send(`${edge.url}/slow`);
  await eventually(() => arrived === 1);
  const closing = edge.node.close(5_000);
  // The listening socket is closed at once, while the request above is still waiting for the origin.
  expect(await connectError(`${edge.url}/new`)).toBe('ECONNREFUSED');
  const res = await inFlight;
  expect(res.status).toBe(200);
  expect(res.text).toBe('slow but complete');
  await closing;
  expect(await connectError(`${edge.url}/after`)).toBe('ECONNREFUSED');
  expect(arrived).toBe(1);
  expect(edge.logs.some((l) => l.type === 'stopped')).toBe(true);
});
