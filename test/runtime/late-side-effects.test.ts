import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A handler that returns a value settles its invocation at once; microtasks it queued run after the
// final envelope was built. What they do (log, fetch, set timers) belongs to no invocation the host
// still drives: it must not be sent with the next request's invocation on the same warm isolate.

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  const code = `exports.handler = (event) => {
  const request = event.Records[0].cf.request;
  if (request.uri === '/first') {
    Promise.resolve().then(() => {
      console.log('late line of /first');
      fetch(${JSON.stringify(origin.url)} + '/late-fetch').catch(() => {});
    });
    return request;
  }
  // The second request stays pending for a while, as an invocation where host operations start.
  return new Promise((r) => setTimeout(() => r(request), 300));
};`;
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'late', code: functionFile(code), timeoutMs: 3000 }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'late' } } }],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('lines and fetches made after an invocation settled are not sent with the next invocation', async () => {
  expect((await send(`${edge.url}/first`)).status).toBe(200);
  const second = await send(`${edge.url}/second`);
  expect(second.status).toBe(200);
  const secondId = second.headers['x-verge-request-id'];
  await eventually(() => edge.logs.some((l) => l.type === 'REPORT' && l.requestId === secondId));
  await new Promise((r) => setTimeout(r, 100));
  const attributed = edge.logs.filter((l) => l.requestId === secondId && /late line of \/first/.test(String(l.msg)));
  expect(attributed).toEqual([]);
  expect(origin.seen.map((s) => s.url)).toEqual(['/first', '/second']);
});
