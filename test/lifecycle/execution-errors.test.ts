import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectErrorResponse, fn, PASS_REQUEST } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A function that fails to produce a result (throws, calls back with an error, times out, runs out of
// memory, never settles, cannot load) is a LambdaExecutionError: CloudFront answers 503, or the status
// configured in errors.executionErrorStatus.

const FIXTURES: Record<string, { source: string; timeoutMs?: number; memoryMb?: number }> = {
  'throws': { source: `exports.handler = async () => { throw new Error('boom'); };` },
  'throws-sync': { source: `exports.handler = () => { throw new TypeError('sync boom'); };` },
  'throws-non-error': { source: `exports.handler = async () => { throw 'a string'; };` },
  'callback-error': { source: `exports.handler = (event, context, callback) => { callback(new Error('called back')); };` },
  'timer-throws': { source: `exports.handler = () => new Promise(() => { setTimeout(() => { throw new Error('in a timer'); }, 1); });` },
  'infinite-loop': { source: `exports.handler = () => { for (;;) {} };`, timeoutMs: 300 },
  'await-loop': { source: `exports.handler = async () => { for (;;) await new Promise((r) => setTimeout(r, 5)); };`, timeoutMs: 300 },
  'busy-between-awaits': {
    source: `exports.handler = async () => { for (;;) { const t = Date.now(); while (Date.now() - t < 20) {} await new Promise((r) => setTimeout(r, 0)); } };`,
    timeoutMs: 300,
  },
  'never-settles': { source: `exports.handler = () => new Promise(() => {});`, timeoutMs: 300 },
  'no-callback': { source: `exports.handler = (event, context, callback) => {};`, timeoutMs: 300 },
  'heap-limit': { source: `exports.handler = () => { const keep = []; for (;;) keep.push(new Array(1 << 20).fill(1.5)); };`, timeoutMs: 4_000 },
  'load-throws': { source: `throw new Error('top-level failure');\nexports.handler = async (e) => e.Records[0].cf.request;` },
  'no-handler': { source: `exports.notTheHandler = async (e) => e.Records[0].cf.request;` },
  'syntax-error': { source: `exports.handler = async (e) => { return e.Records[0].cf.request;` },
};

const CODES: Record<string, string> = {
  'throws': 'VERGE_ERR_FUNCTION_THREW',
  'throws-sync': 'VERGE_ERR_FUNCTION_THREW',
  'throws-non-error': 'VERGE_ERR_FUNCTION_THREW',
  'callback-error': 'VERGE_ERR_FUNCTION_THREW',
  'timer-throws': 'VERGE_ERR_FUNCTION_THREW',
  'infinite-loop': 'VERGE_ERR_FUNCTION_TIMEOUT',
  'await-loop': 'VERGE_ERR_FUNCTION_TIMEOUT',
  'busy-between-awaits': 'VERGE_ERR_FUNCTION_TIMEOUT',
  'never-settles': 'VERGE_ERR_FUNCTION_TIMEOUT',
  'no-callback': 'VERGE_ERR_FUNCTION_TIMEOUT',
  'heap-limit': 'VERGE_ERR_FUNCTION_MEMORY',
  'load-throws': 'VERGE_ERR_FUNCTION_LOAD',
  'no-handler': 'VERGE_ERR_FUNCTION_LOAD',
  'syntax-error': 'VERGE_ERR_FUNCTION_LOAD',
};

const EVENTS = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'] as const;

let origin: TestOrigin;
let edge: TestEdge;
let edge500: TestEdge;

function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    origins: [{ id: 'o', url: origin.url }],
    functions: [...Object.entries(FIXTURES).map(([name, f]) => fn(name, f.source, f)), fn('pass', PASS_REQUEST), fn('invalid', `exports.handler = async () => null;`)],
    behaviors: [
      ...Object.keys(FIXTURES).map((name) => ({ pathPattern: `/${name}`, originId: 'o', functions: { 'viewer-request': { name } } })),
      ...EVENTS.map((eventType) => ({ pathPattern: `/at/${eventType}`, originId: 'o', functions: { [eventType]: { name: 'throws' } } })),
      { pathPattern: '/ok', originId: 'o', functions: { 'viewer-request': { name: 'pass' } } },
      { pathPattern: '/invalid', originId: 'o', functions: { 'viewer-request': { name: 'invalid' } } },
    ],
    ...extra,
  };
}

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge(config());
  edge500 = await startEdge(config({ errors: { executionErrorStatus: 500 } }));
});
afterAll(async () => {
  await edge?.close();
  await edge500?.close();
  await origin?.close();
});

describe('each way a function can fail answers 503 LambdaExecutionError', () => {
  test.each(Object.keys(FIXTURES))('%s', async (name) => {
    const res = await send(`${edge.url}/${name}`);
    await expectErrorResponse(edge, res, {
      status: 503,
      cacheStatus: 'LambdaExecutionError',
      code: CODES[name]!,
      fn: { name, eventType: 'viewer-request' },
    });
  });
});

test.each(EVENTS)('a function that throws at %s answers 503 and names the event in the log', async (eventType) => {
  const res = await send(`${edge.url}/at/${eventType}`);
  await expectErrorResponse(edge, res, { status: 503, cacheStatus: 'LambdaExecutionError', code: 'VERGE_ERR_FUNCTION_THREW', fn: { name: 'throws', eventType } });
});

test('the error log line carries what the function threw', async () => {
  const res = await send(`${edge.url}/throws`);
  const line = await expectErrorResponse(edge, res, { status: 503, cacheStatus: 'LambdaExecutionError', code: 'VERGE_ERR_FUNCTION_THREW' });
  expect(line.msg).toContain('boom');
});

test('the error body does not leak what the function threw', async () => {
  const res = await send(`${edge.url}/throws`);
  expect(res.text).not.toContain('boom');
});

describe('timeouts', () => {
  test.each(['infinite-loop', 'await-loop', 'never-settles'])('%s is cut off near its 300 ms timeout', async (name) => {
    const started = performance.now();
    const res = await send(`${edge.url}/${name}`);
    const tookMs = performance.now() - started;
    expect(res.status).toBe(503);
    expect(tookMs).toBeGreaterThanOrEqual(250);
    expect(tookMs).toBeLessThan(2_000);
  });

  test('a timed-out function does not hold up other requests for long', async () => {
    const slow = send(`${edge.url}/infinite-loop`);
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    const ok = await send(`${edge.url}/ok`);
    expect(ok.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
    expect((await slow).status).toBe(503);
  });
});

describe('errors.executionErrorStatus: 500', () => {
  test.each(['throws', 'infinite-loop', 'callback-error'])('%s answers 500 LambdaExecutionError', async (name) => {
    const res = await send(`${edge500.url}/${name}`);
    await expectErrorResponse(edge500, res, { status: 500, cacheStatus: 'LambdaExecutionError', code: CODES[name]! });
  });

  test('validation errors stay 502 LambdaValidationError', async () => {
    const res = await send(`${edge500.url}/invalid`);
    await expectErrorResponse(edge500, res, { status: 502, cacheStatus: 'LambdaValidationError', code: 'VERGE_ERR_FUNCTION_INVALID_RESULT' });
  });
});

test('the edge node keeps serving after every kind of failure', async () => {
  const res = await send(`${edge.url}/ok`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
});

describe('a response-hook failure after the origin answered', () => {
  test.each(['origin-response', 'viewer-response'])('at %s releases the origin response, so the node still shuts down promptly', async (eventType) => {
    const own = await startEdge(config());
    try {
      const res = await send(`${own.url}/at/${eventType}`);
      expect(res.status).toBe(503);
    } finally {
      const started = performance.now();
      const closed = await Promise.race([own.close().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 3_000))]);
      expect(closed).toBe(true);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});
