import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectErrorResponse, fn } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Warm isolates keep a function's globals between requests, as a warm Lambda execution environment
// does; an execution error throws the environment away. Each function has its own isolate and sees
// nothing of the host.

/**
 * Counts its invocations in a global; `?throw` throws, `?loop` spins past the timeout. Synchronous on
 * purpose: see the runtime bug noted at 'an async function keeps answering after a timeout'.
 */
const COUNTER = `
let invocations = 0;
exports.handler = (event) => {
  invocations++;
  const q = event.Records[0].cf.request.querystring;
  if (q === 'throw') throw new Error('asked to throw');
  if (q === 'loop') for (;;) {}
  if (q === 'callback-error') return new Promise((_, reject) => reject(new Error('rejected')));
  return { status: '200', body: String(invocations) };
};`;

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn('counter-a', COUNTER, { timeoutMs: 300 }),
      fn('counter-b', COUNTER, { timeoutMs: 300 }),
      fn('counter-throw', COUNTER, { timeoutMs: 300 }),
      fn('counter-loop', COUNTER, { timeoutMs: 300 }),
      fn('counter-reject', COUNTER, { timeoutMs: 300 }),
      fn('async-after-timeout', `exports.handler = async (event) => {
        if (event.Records[0].cf.request.querystring === 'loop') for (;;) {}
        return { status: '200', body: 'answered' };
      };`, { timeoutMs: 300 }),
      fn('set-global', `exports.handler = async () => { globalThis.leaked = 'from set-global'; Object.prototype.polluted = 'yes'; return { status: '200', body: 'set' }; };`),
      fn(
        'read-global',
        `exports.handler = async () => ({ status: '200', body: JSON.stringify({ leaked: typeof globalThis.leaked, polluted: typeof ({}).polluted }) });`,
      ),
      fn(
        'probe-host',
        `exports.handler = async () => ({ status: '200', body: JSON.stringify({
          process: typeof process, globalProcess: typeof globalThis.process, require: typeof require,
          module: typeof module, importMeta: 'n/a', fetch: typeof fetch, ivm: typeof ivm, _ivm: typeof _ivm,
        }) });`,
      ),
      fn('proto-header', `exports.handler = async (event) => {
        const h = event.Records[0].cf.request.headers;
        return { status: '200', body: JSON.stringify({ own: Object.hasOwn(h, '__proto__') ? h['__proto__'][0].value : null, polluted: ({}).length === undefined ? 'no' : 'yes' }) };
      };`),
      fn('use-process-env', `exports.handler = async () => ({ status: '200', body: process.env.HOME });`),
    ],
    behaviors: [
      ...['async-after-timeout', 'counter-a', 'counter-b', 'counter-throw', 'counter-loop', 'counter-reject', 'set-global', 'read-global', 'probe-host', 'use-process-env', 'proto-header'].map(
        (name) => ({ pathPattern: `/${name}`, originId: 'o', functions: { 'viewer-request': { name } } }),
      ),
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

async function count(name: string): Promise<string> {
  const res = await send(`${edge.url}/${name}`);
  expect(res.status).toBe(200);
  return res.text;
}

describe('warm isolates', () => {
  test('a function keeps its globals between requests: a counter goes up', async () => {
    expect([await count('counter-a'), await count('counter-a'), await count('counter-a')]).toEqual(['1', '2', '3']);
  });

  test('two functions with the same code do not share globals', async () => {
    const a = Number(await count('counter-a'));
    expect(await count('counter-b')).toBe('1');
    expect(await count('counter-a')).toBe(String(a + 1));
  });

  test('after a timeout the next call gets a fresh isolate: the counter starts again', async () => {
    expect(await count('counter-loop')).toBe('1');
    expect(await count('counter-loop')).toBe('2');
    expect((await send(`${edge.url}/counter-loop?loop`)).status).toBe(503);
    expect(await count('counter-loop')).toBe('1');
  });

  test('an async function keeps answering after one of its calls timed out', async () => {
    expect(await count('async-after-timeout')).toBe('answered');
    expect((await send(`${edge.url}/async-after-timeout?loop`)).status).toBe(503);
    expect(await count('async-after-timeout')).toBe('answered');
  });

  test('after the handler throws the next call gets a fresh isolate: the counter starts again', async () => {
    expect(await count('counter-throw')).toBe('1');
    expect(await count('counter-throw')).toBe('2');
    expect((await send(`${edge.url}/counter-throw?throw`)).status).toBe(503);
    expect(await count('counter-throw')).toBe('1');
  });

  test('after the handler rejects the next call gets a fresh isolate: the counter starts again', async () => {
    expect(await count('counter-reject')).toBe('1');
    expect((await send(`${edge.url}/counter-reject?callback-error`)).status).toBe(503);
    expect(await count('counter-reject')).toBe('1');
  });
});

describe('isolation', () => {
  test('a global set by one function, even on Object.prototype, is not seen by another', async () => {
    expect(await count('set-global')).toBe('set');
    expect(JSON.parse(await count('read-global'))).toEqual({ leaked: 'undefined', polluted: 'undefined' });
  });

  test('a function sees no process or host objects', async () => {
    const seen = JSON.parse(await count('probe-host')) as Record<string, string>;
    expect(seen.process).toBe('undefined');
    expect(seen.globalProcess).toBe('undefined');
    expect(seen.ivm).toBe('undefined');
    expect(seen._ivm).toBe('undefined');
  });

  test('using process fails as an execution error', async () => {
    const res = await send(`${edge.url}/use-process-env`);
    const line = await expectErrorResponse(edge, res, { status: 503, cacheStatus: 'LambdaExecutionError', code: 'VERGE_ERR_FUNCTION_THREW' });
    expect(line.msg).toMatch(/process is not defined/);
  });

  // A function importing a module the sandbox lacks ('fs') now fails when it loads: test/bundle/module-check.test.ts.

  test('a header named __proto__ is an own property of headers and pollutes nothing, in this request or the next', async () => {
    const first = await send(`${edge.url}/proto-header`, { headers: Object.fromEntries([['__proto__', 'x']]) });
    expect(JSON.parse(first.text)).toEqual({ own: 'x', polluted: 'no' });
    const next = await send(`${edge.url}/proto-header`);
    expect(JSON.parse(next.text)).toEqual({ own: null, polluted: 'no' });
  });
});
