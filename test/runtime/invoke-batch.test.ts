import { afterEach, describe, expect, test } from 'vitest';
import { createFunctionVersion, type FunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime, type InvokeOutcome } from '../../src/runtime/function-runtime.ts';
import { decodeResult, encodeEvent } from '../../src/pipeline/cf-wire.ts';
import { functionConfig } from '../../src/config/function-config.ts';

// Calls of one version that arrive together run as one batch in one warm isolate
// (FunctionRuntime.invokeMany): each keeps its own result and log lines, and a call that fails, loops
// or waits costs only itself.

let runtime: FunctionRuntime;
let seq = 0;
afterEach(() => runtime?.close());

const HANDLER = `
let calls = 0;
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  calls++;
  console.log('call ' + request.uri);
  if (request.uri === '/throw') throw new Error('thrown for ' + request.uri);
  if (request.uri === '/loop') for (;;) {}
  if (request.uri === '/wait') { await new Promise((r) => setTimeout(r, 20)); console.log('waited'); }
  if (request.uri === '/late') Promise.resolve().then(() => null).then(() => null).then(() => null).then(() => console.log('late line of /late'));
  if (request.uri === '/hops') for (let i = 0; i < 10; i++) await null;
  request.headers['x-uri'] = [{ key: 'X-Uri', value: request.uri }];
  request.headers['x-calls'] = [{ key: 'X-Calls', value: String(calls) }];
  return request;
};`;

function version(options: { reservedConcurrency?: number } = {}): FunctionVersion {
  const name = `batch-${++seq}`;
  return createFunctionVersion(functionConfig({ name, codePath: `/var/task/${name}.js`, memoryMb: 128, timeoutMs: 1000, ...options }), HANDLER);
}

function request(v: FunctionVersion, uri: string, logs: string[]) {
  const requestId = `req${uri}`;
  const event = encodeEvent('viewer-request', { id: 'E1', domainName: 'd.example' }, requestId, Date.now() + 1000, {
    clientIp: '127.0.0.1',
    method: 'GET',
    uri,
    querystring: '',
    headers: ['Host', 'example.com'],
  });
  return { version: v, event, requestId, onConsole: (level: string, line: string) => logs.push(line) };
}

/** Warms the version with one call, then invokes `uris` together; returns each call's outcome and log lines. */
async function batch(v: FunctionVersion, uris: string[]) {
  await runtime.invoke(request(v, '/warm', []));
  const logs = uris.map(() => [] as string[]);
  const settled = await Promise.allSettled(runtime.invokeMany(uris.map((uri, i) => request(v, uri, logs[i]!))));
  return settled.map((s, i) => ({ outcome: s.status === 'fulfilled' ? s.value : undefined, error: s.status === 'rejected' ? s.reason : undefined, logs: logs[i]! }));
}

function header(outcome: InvokeOutcome | undefined, name: string): string | undefined {
  if (outcome === undefined || !outcome.result.ok) return undefined;
  const { headers } = decodeResult(outcome.result.value);
  const at = headers.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === name);
  return at === -1 ? undefined : headers[at + 1];
}

describe('calls of one version that arrive together', () => {
  test('run as one batch in one isolate, each with its own result, log lines and REPORT figures', async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version();
    const uris = ['/a', '/b', '/c', '/d', '/e'];
    const calls = await batch(v, uris);
    expect(runtime.batchCounts).toEqual({ batches: 1, calls: 5 });
    calls.forEach((c, i) => {
      expect(c.outcome?.result.ok).toBe(true);
      expect(header(c.outcome, 'x-uri')).toBe(uris[i]);
      // One isolate ran them one after another (the warm-up call was the first).
      expect(header(c.outcome, 'x-calls')).toBe(String(i + 2));
      expect(c.logs).toEqual([`call ${uris[i]}`]);
      expect(c.outcome!.report.billedDurationMs).toBeGreaterThanOrEqual(1);
      expect(c.outcome!.report.cpuTimeUs).toBeGreaterThan(0);
    });
    expect(v.batch).toBe(true);
  });

  test('a call that throws fails alone; the calls after it run on their own, in a fresh isolate', async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version();
    const calls = await batch(v, ['/a', '/throw', '/c', '/d']);
    expect(calls.map((c) => c.outcome?.result.ok)).toEqual([true, false, true, true]);
    const failed = calls[1]!.outcome!.result;
    expect(!failed.ok && 'code' in failed.error && failed.error.code).toBe('VERGE_ERR_FUNCTION_THREW');
    expect(calls[1]!.logs).toEqual(['call /throw']);
    // The isolate that saw the failure is not reused: /c starts a fresh one (its first call).
    expect(header(calls[2]!.outcome, 'x-calls')).toBe('1');
    expect(calls.map((c) => header(c.outcome, 'x-uri'))).toEqual(['/a', undefined, '/c', '/d']);
    expect(v.batch).toBe(true);
  });

  test('a call that loops forever fails alone with a timeout; the batch is discarded and the others run on their own', async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version();
    const calls = await batch(v, ['/a', '/loop', '/c']);
    expect(calls.map((c) => c.outcome?.result.ok)).toEqual([true, false, true]);
    const failed = calls[1]!.outcome!.result;
    expect(!failed.ok && 'code' in failed.error && failed.error.code).toBe('VERGE_ERR_FUNCTION_TIMEOUT');
    // /a ran in the discarded batch too, but only its own run's line is reported.
    expect(calls[0]!.logs).toEqual(['call /a']);
    expect(calls.map((c) => header(c.outcome, 'x-uri'))).toEqual(['/a', undefined, '/c']);
    expect(v.batch).toBe(false);
  });

  test('a call that waits for a timer stops the batch; it runs again on its own, and nothing it did in the batch leaves', async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version();
    const calls = await batch(v, ['/a', '/wait', '/c']);
    expect(calls.map((c) => c.outcome?.result.ok)).toEqual([true, true, true]);
    expect(calls[1]!.logs).toEqual(['call /wait', 'waited']);
    expect(calls.map((c) => header(c.outcome, 'x-uri'))).toEqual(['/a', '/wait', '/c']);
    expect(v.batch).toBe(false);
    // From now on one call at a time.
    const before = runtime.batchCounts.batches;
    await Promise.all(runtime.invokeMany([request(v, '/x', []), request(v, '/y', [])]));
    expect(runtime.batchCounts.batches).toBe(before);
  });

  test('a batch counts as one call in flight against reserved concurrency', async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version({ reservedConcurrency: 1 });
    const calls = await batch(v, ['/a', '/b', '/c']);
    expect(calls.map((c) => c.error)).toEqual([undefined, undefined, undefined]);
    expect(calls.map((c) => header(c.outcome, 'x-uri'))).toEqual(['/a', '/b', '/c']);
    expect(runtime.inFlightOf(v.name)).toBe(0);
  });

  // Work a handler leaves running after it settled (a detached promise chain) runs in the same
  // microtask checkpoint as the next call of the batch, so its lines go with that call, as Lambda
  // reports such work under the next invocation it thaws in. Outside a batch the poll after the call
  // takes them with the call itself, and anything later is dropped (test/runtime/late-side-effects.test.ts).
  test("lines a call logs after it settled go with the next call of its batch", async () => {
    runtime = new FunctionRuntime({ maxWarmIsolates: 8, syncSliceMs: 50, spareIsolates: 0 });
    const v = version();
    const calls = await batch(v, ['/late', '/hops']);
    expect(calls[0]!.logs).toEqual(['call /late']);
    expect(calls[1]!.logs).toEqual(['call /hops', 'late line of /late']);
  });
});
