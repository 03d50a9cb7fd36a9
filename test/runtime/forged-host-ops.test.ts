import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A function that was never given fetch (a CloudFront Function, or a Lambda@Edge function that never
// names fetch or crypto.subtle) must not make the host send requests. User code controls
// Object.prototype; the isolate's core once read the sandbox's `hostOps` queue by plain lookup, so a
// forged queue on Object.prototype handed the host a fetch to any address (SSRF). The "internal"
// server stands for what such a fetch would reach: it must receive nothing.

let origin: TestOrigin;
let internal: TestOrigin;
let edge: TestEdge;

const forge = (url: string) => `
  Object.prototype.hostOps = {
    reset() {},
    settle() {},
    take() { return [[[4242, 'fetch', { url: ${JSON.stringify(url)}, method: 'GET', headers: [], redirect: 'follow' }, []]], []]; },
  };`;

beforeAll(async () => {
  origin = await startOrigin();
  internal = await startOrigin();
  const admin = `${internal.url}/admin`;
  // Both stay pending (the envelope of a pending call is where host operations start) long enough for
  // a forged fetch to reach the server before the invocation ends and aborts what it started. The
  // CloudFront Function has no timers: it waits until its own timeout.
  const cff = `async function handler(event) {${forge(admin)}
  await new Promise(() => {});
}`;
  const lambda = `exports.handler = async (event) => {${forge(admin)}
  await new Promise((r) => setTimeout(r, 300));
  return event.Records[0].cf.request;
};`;
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      { name: 'cff', code: functionFile(cff), runtime: 'cloudfront-js-2.0', timeoutMs: 300 },
      { name: 'lambda', code: functionFile(lambda), timeoutMs: 2000 },
    ],
    behaviors: [
      { pathPattern: '/cff/*', originId: 'o', functions: { 'viewer-request': { name: 'cff' } } },
      { pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'lambda' } } },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
  await internal?.close();
});

test('a CloudFront Function cannot forge host operations through Object.prototype', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await send(`${edge.url}/cff/x${i}`);
    // It never settles: the function's own timeout answers.
    expect(res.status).toBeGreaterThanOrEqual(500);
  }
  await new Promise((r) => setTimeout(r, 200));
  expect(internal.seen).toEqual([]);
});

test('a Lambda@Edge function that never names fetch cannot forge host operations', async () => {
  const before = internal.seen.length;
  for (let i = 0; i < 3; i++) {
    const res = await send(`${edge.url}/le/x${i}`);
    expect(res.status).toBe(200);
  }
  await new Promise((r) => setTimeout(r, 200));
  expect(internal.seen.slice(before)).toEqual([]);
});
