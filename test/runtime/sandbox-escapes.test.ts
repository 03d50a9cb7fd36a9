import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { createFunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime } from '../../src/runtime/function-runtime.ts';
import { decodeResult } from '../../src/pipeline/cf-wire.ts';
import { createHandlerRunner, viewerRequestEvent } from '../helpers/run-handler.ts';
import { functionConfig } from '../../src/config/function-config.ts';

// Known ways out of a JavaScript sandbox, one fixture each (test/fixtures/escapes/), run in real
// isolates. Each fixture reports what it could reach; the test shows the attempt failed and the host
// is unaffected.

const fixture = (name: string) => readFileSync(new URL(`../fixtures/escapes/${name}.js`, import.meta.url), 'utf8');
const runner = createHandlerRunner({ timeoutMs: 5000 });
afterAll(() => runner.close());

/** Host file paths and Node internals that must never show in anything the isolate can read. */
const HOST_TRACES = /\/work\/|node_modules|node:internal|host-bridge|isolate-instance|\.ts:\d/;

describe('escape attempts', () => {
  test('constructor chains to Function reach only the isolate (no process, require or ivm)', async () => {
    const seen = (await runner.body(fixture('constructor-chain-to-function'))) as Record<string, string>;
    const clean = 'undefined|undefined|undefined|undefined|undefined|';
    for (const key of ['this', 'object', 'require', 'consoleLog', 'setTimeout', 'Buffer', 'createHash', 'hash', 'textEncoder', 'callback', 'context']) {
      expect([key, seen[key]]).toEqual([key, clean]);
    }
    expect(seen.functionCtor).toBe('undefined|undefined');
    expect(seen.indirectEval).toBe('undefined');
  });

  test('errors from host calls are isolate errors with no host stack', async () => {
    const report = (await runner.body(fixture('error-from-host-call'))) as Record<string, { isIsolateError: boolean; process: string; stack: string; message: string }>;
    for (const [name, r] of Object.entries(report)) {
      expect([name, r.isIsolateError, r.process]).toEqual([name, true, 'undefined']);
      expect(r.stack).not.toMatch(HOST_TRACES);
    }
    expect(report.unknownDigest!.message).toBe('Digest method not supported: no-such-digest');
    expect(report.corruptGzip!.message).toBe('incorrect header check');
    // The decompression bomb stops at the cap (a quarter of the function's 128 MB), in this invocation only.
    expect(report.bomb!.message).toMatch(/Cannot create a Buffer larger than|larger than/);
    expect(report.randomTooLarge!.message).toMatch(/exceeds the number of bytes of entropy/);
  });

  test('Error.prepareStackTrace sees only isolate frames, receivers and functions', async () => {
    const { errors, frames } = (await runner.body(fixture('prepare-stack-trace'))) as { errors: string[]; frames: { file: string; receiverHasProcess: boolean; fnProcess: string }[] };
    expect(errors).toEqual(['prepared', 'prepared', 'prepared']);
    expect(frames.length).toBeGreaterThan(0);
    for (const f of frames) {
      expect(f.file).not.toMatch(HOST_TRACES);
      expect(f.receiverHasProcess).toBe(false);
      expect(['undefined', 'none']).toContain(f.fnProcess);
    }
  });

  test('Symbol.species spies see only isolate objects, and results stay right', async () => {
    const r = (await runner.body(fixture('symbol-species'))) as { hmac: string; roundTrip: string; sliced: string; mapped: number[]; caught: string[] };
    expect(r.hmac).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(r.roundTrip).toBe('species');
    expect(r.sliced).toBe('bc');
    expect(r.mapped).toEqual([2, 4]);
    for (const c of r.caught) expect(c).toMatch(/:undefined$/);
  });

  test('proxies over sandbox objects never cross to the host: each use fails in the isolate or works on copied bytes', async () => {
    const { report } = (await runner.body(fixture('proxy-over-sandbox-objects'))) as { report: Record<string, string> };
    expect(report.hashOfProxyBytes).toMatch(/^threw TypeError/);
    expect(report.hmacWithProxyKey).toMatch(/^threw TypeError/);
    expect(report.gzipOfProxy).toMatch(/^threw TypeError/);
    expect(report.randomIntoProxy).toMatch(/^threw TypeMismatchError/);
    expect(report.algorithmAsObject).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
    expect(report.throughProxiedModule).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
    expect(report.proxiedRequire).toMatch(/^threw Error: Cannot find module 'child_process'/);
    expect(report.timerWithProxyCallback).toBe('number');
  });

  test('host calls from callbacks, timers and microtasks they triggered nest and finish', async () => {
    // sha1('level one'), then each interval tick's zlib round trip and random byte count.
    expect(await runner.body(fixture('reentrant-host-calls'))).toEqual(['level one', expect.stringMatching(/^[0-9a-f]{40}$/), '1', 4, '2', 4, '3', 4]);
  });

  test('nothing reachable from user code is a host object, the registry or the bootstrap entry table', async () => {
    const { walked, found } = (await runner.body(fixture('reach-the-host'))) as { walked: number; found: string[] };
    expect(walked).toBeGreaterThan(500);
    expect(found).toEqual([]);
  });
});

describe('prototype pollution', () => {
  const runtime = new FunctionRuntime({ maxWarmIsolates: 4, syncSliceMs: 50, spareIsolates: 0 });
  afterAll(() => runtime.close());
  const version = createFunctionVersion(
    functionConfig({ name: 'pollution', codePath: '/var/task/prototype-pollution.js', memoryMb: 128, timeoutMs: 2000 }),
    fixture('prototype-pollution'),
  );
  const call = async () => {
    const logs: string[] = [];
    const outcome = await runtime.invoke({ version, event: viewerRequestEvent('r'), requestId: 'r', onConsole: (level, line) => logs.push(`${level} ${line}`) });
    return { outcome, logs };
  };

  test('polluted prototypes change neither the envelope of this or the next invocation nor the host', async () => {
    for (const expectedCall of ['1', '2', '3']) {
      const { outcome, logs } = await call();
      expect(outcome.result.ok).toBe(true);
      const { scalars, headers } = decodeResult(outcome.result.ok ? outcome.result.value : '');
      expect(scalars.body).toBe(`call ${expectedCall}`);
      expect(headers).toEqual(['X-Calls', expectedCall]);
      // Exactly the function's own log line: nothing forged, no timers armed by a forged envelope.
      expect(logs).toEqual([`info call ${expectedCall}`]);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(typeof (Object.prototype as { toJSON?: unknown }).toJSON).toBe('undefined');
    expect(JSON.stringify({ a: [1] })).toBe('{"a":[1]}');
    expect('a,b'.split(',')).toEqual(['a', 'b']);
  });
});

describe('prototype pollution in CloudFront Functions', () => {
  const runtime = new FunctionRuntime({ maxWarmIsolates: 4, syncSliceMs: 50, spareIsolates: 0 });
  afterAll(() => runtime.close());
  const version = createFunctionVersion(
    functionConfig({ name: 'cff-pollution', codePath: '/cff-prototype-pollution.js', memoryMb: 128, timeoutMs: 2000, runtime: 'cloudfront-js-2.0' }),
    fixture('cff-prototype-pollution'),
  );

  test('a polluted toJSON or JSON.stringify forges neither log lines nor the result, in this or the next invocation', async () => {
    for (const expectedCall of ['1', '2', '3']) {
      const logs: string[] = [];
      const outcome = await runtime.invoke({ version, event: viewerRequestEvent('r'), requestId: 'r', onConsole: (level, line) => logs.push(`${level} ${line}`) });
      expect(outcome.result.ok).toBe(true);
      const { scalars, headers } = decodeResult(outcome.result.ok ? outcome.result.value : '');
      expect(scalars.t).toBe('Q');
      expect(headers).toContain('X-Calls');
      expect(headers[headers.indexOf('X-Calls') + 1]).toBe(expectedCall);
      expect(logs).toEqual([`info call ${expectedCall}`]);
    }
    expect(typeof (Object.prototype as { toJSON?: unknown }).toJSON).toBe('undefined');
  });
});
