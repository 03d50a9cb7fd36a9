import { afterEach, describe, expect, test } from 'vitest';
import { BlankIsolateReserve, createBlankIsolate, createBlankIsolateAsync, type BlankIsolate } from '../../src/runtime/blank-isolate.ts';
import { IsolateInstance } from '../../src/runtime/isolate-instance.ts';
import { createFunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime } from '../../src/runtime/function-runtime.ts';
import { functionConfig } from '../../src/config/function-config.ts';
import { decodeResult } from '../../src/pipeline/cf-wire.ts';
import { viewerRequestEvent } from '../helpers/run-handler.ts';

// Blank isolates (context, bootstrap and sandbox core, no user code) are kept ready so a cold start
// only loads its function; the reserve refills them mostly on isolated-vm's threads
// (createBlankIsolateAsync), so a burst of cold starts finds them ready.

const HANDLER = `exports.handler = (event) => {
  const request = event.Records[0].cf.request;
  request.headers['x-seen'] = [{ key: 'X-Seen', value: typeof require('querystring').parse + ' ' + request.uri }];
  return request;
};`;

let seq = 0;
function version(runtime: 'nodejs-edge' | 'cloudfront-js-2.0' = 'nodejs-edge') {
  const name = `blank-${++seq}`;
  const code =
    runtime === 'nodejs-edge'
      ? HANDLER
      : `function handler(event) { event.request.headers['x-seen'] = { value: 'cff ' + event.request.uri }; return event.request; }`;
  return createFunctionVersion(functionConfig({ name, codePath: `/var/task/${name}.js`, memoryMb: 128, timeoutMs: 1000, runtime }), code);
}

/** Loads HANDLER on `blank` and runs one viewer-request through it; returns its x-seen header. */
function seenOn(blank: BlankIsolate): string {
  const instance = new IsolateInstance(version(), blank, 1000, performance.now());
  try {
    const envelope = instance.invokeSync(viewerRequestEvent('req-blank'), 1000);
    expect(envelope.s).toBe('R');
    const headers = decodeResult(envelope.payload).headers;
    return headers[headers.indexOf('X-Seen') + 1]!;
  } finally {
    instance.dispose();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const reserves: BlankIsolateReserve[] = [];
afterEach(() => {
  for (const r of reserves.splice(0)) r.close();
});

describe('createBlankIsolateAsync', () => {
  test('makes a blank that runs a function exactly as a synchronously made one does', async () => {
    createBlankIsolate(128).isolate.dispose(); // the process's first blank makes the code cache
    const sync = createBlankIsolate(128);
    const async = await createBlankIsolateAsync(128);
    expect(async.isolate).not.toBe(sync.isolate);
    expect(async.memoryMb).toBe(128);
    expect(seenOn(async)).toBe('function /');
    expect(seenOn(sync)).toBe('function /');
  });

  test('a blank for CloudFront Functions gets that runtime’s bootstrap', async () => {
    createBlankIsolate(128, 'cloudfront-js-2.0').isolate.dispose();
    const cff = await createBlankIsolateAsync(128, 'cloudfront-js-2.0');
    const edge = await createBlankIsolateAsync(128);
    // Only the CloudFront Functions bootstrap has an entry for KeyValueStore lookups.
    const entryType = async (b: BlankIsolate) => (await b.api.get('setKvsLookup', { reference: true })).typeof;
    expect(await entryType(cff)).toBe('function');
    expect(await entryType(edge)).toBe('undefined');
    cff.isolate.dispose();
    edge.isolate.dispose();
  });
});

describe('BlankIsolateReserve', () => {
  test('refills to its size after a take, and hands each blank out once', async () => {
    const reserve = new BlankIsolateReserve(2);
    reserves.push(reserve);
    const first = reserve.take(128); // none ready: made on the spot
    await until(() => reserve.readyCount(128) === 2, 'the refill');
    const second = reserve.take(128);
    expect(reserve.readyCount(128)).toBe(1);
    const third = reserve.take(128);
    expect(new Set([first.isolate, second.isolate, third.isolate]).size).toBe(3);
    expect(seenOn(second)).toBe('function /');
    expect(seenOn(third)).toBe('function /');
    first.isolate.dispose();
    await until(() => reserve.readyCount(128) === 2, 'the second refill');
  });

  test('keeps memory sizes and runtimes apart', async () => {
    const reserve = new BlankIsolateReserve(1);
    reserves.push(reserve);
    reserve.take(256).isolate.dispose();
    await until(() => reserve.readyCount(256) === 1, 'the refill');
    expect(reserve.readyCount(128)).toBe(0);
    expect(reserve.readyCount(256, 'cloudfront-js-2.0')).toBe(0);
    const blank = reserve.take(256);
    expect(blank.memoryMb).toBe(256);
    blank.isolate.dispose();
  });

  test('close disposes the ready blanks, and a refill in flight adds none after it', async () => {
    const reserve = new BlankIsolateReserve(1);
    reserve.take(128).isolate.dispose();
    await until(() => reserve.readyCount(128) === 1, 'the refill');
    const ready = reserve.take(128); // starts a refill
    reserve.close();
    expect(reserve.readyCount(128)).toBe(0);
    await new Promise((r) => setTimeout(r, 50)); // a refill in flight finishes, sees the reserve closed
    expect(reserve.readyCount(128)).toBe(0);
    expect(ready.isolate.isDisposed).toBe(false); // handed out before close: the caller's
    ready.isolate.dispose();
  });

  test('a size of 0 keeps none ready', async () => {
    const reserve = new BlankIsolateReserve(0);
    reserves.push(reserve);
    reserve.take(128).isolate.dispose();
    await new Promise((r) => setTimeout(r, 30));
    expect(reserve.readyCount(128)).toBe(0);
  });
});

describe('cold starts served from the reserve', () => {
  test('fresh versions back to back, both runtimes, each answers correctly', async () => {
    const runtime = new FunctionRuntime({ maxWarmIsolates: 64, syncSliceMs: 50, spareIsolates: 2 });
    try {
      for (let i = 0; i < 6; i++) {
        const v = version();
        const outcome = await runtime.invoke({ version: v, event: viewerRequestEvent(`req-${i}`), requestId: `req-${i}`, onConsole: () => undefined });
        if (!outcome.result.ok) throw new Error(JSON.stringify(outcome.result.error));
        const headers = decodeResult(outcome.result.value).headers;
        expect(headers[headers.indexOf('X-Seen') + 1]).toBe('function /');
        await new Promise((r) => setTimeout(r, 3));
      }
    } finally {
      runtime.close();
    }
  });
});
