import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type LogLine, type RawResponse, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Each limit through a real edge node: the fixture in edge-functions/fixtures/ named for what it
// provokes, the answer the viewer gets, the log line the operator gets, and a node that keeps serving.

const fixture = (name: string) => fileURLToPath(new URL(`../../edge-functions/fixtures/${name}.js`, import.meta.url));
const HEALTHY = `exports.handler = (e, c, cb) => cb(null, e.Records[0].cf.request);`;

let origin: TestOrigin;
beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  await origin?.close();
});

/** An edge node with each `functions[]` entry on its own path `/<name>` at viewer-request, plus `/healthy`. */
async function edgeWith(functions: Record<string, unknown>[], runtime: Record<string, unknown> = {}): Promise<TestEdge> {
  const all = [...functions, { name: 'healthy', code: functionFile(HEALTHY) }];
  return startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: all,
    behaviors: all.map((f) => ({ pathPattern: `/${f.name as string}`, originId: 'o', functions: { 'viewer-request': { name: f.name } } })),
    runtime,
  });
}

function requestId(res: RawResponse): string {
  return res.headers['x-verge-request-id'] as string;
}

function report(edge: TestEdge, res: RawResponse): Promise<LogLine> {
  const id = requestId(res);
  return eventually(() => edge.logs.find((l) => l.type === 'REPORT' && l.requestId === id));
}

async function expectStillServing(edge: TestEdge): Promise<void> {
  const res = await send(`${edge.url}/healthy`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
}

describe('reserved concurrency', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await edgeWith([
      { name: 'holds-concurrency', code: fixture('holds-concurrency'), reservedConcurrency: 1 },
      { name: 'throttled', code: fixture('holds-concurrency'), reservedConcurrency: 0 },
    ]);
  });
  afterAll(async () => {
    await edge?.close();
  });

  test('a call over reservedConcurrency is answered 503 LambdaLimitExceeded at once, while the one in flight completes', async () => {
    const order: string[] = [];
    const held = send(`${edge.url}/holds-concurrency?ms=400`).then((r) => (order.push('held'), r));
    // Let the first invocation start before the second arrives.
    await eventually(() => edge.node.runtime.inFlightOf('holds-concurrency') === 1);
    const over = await send(`${edge.url}/holds-concurrency?ms=400`);
    order.push('throttled');
    expect(over.status).toBe(503);
    expect(over.headers['x-cache']).toBe('LambdaLimitExceeded from verge');
    expect(over.text).toBe(`503 LambdaLimitExceeded: VERGE_ERR_FUNCTION_THROTTLED\nRequest ID: ${requestId(over)}\n`);
    const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === requestId(over)));
    expect(line.code).toBe('VERGE_ERR_FUNCTION_THROTTLED');
    expect(line.function).toBe('holds-concurrency');
    expect(line.eventType).toBe('viewer-request');
    expect(line.level).toBe('warn');
    // Throttled, not queued: it was answered while the first invocation was still running.
    const first = await held;
    expect(first.status).toBe(200);
    expect(order).toEqual(['throttled', 'held']);
    // A throttled call never ran, so it has no REPORT line (Lambda writes none either).
    expect(edge.logs.some((l) => l.type === 'REPORT' && l.requestId === requestId(over))).toBe(false);

    // The slot is free again once the first call finished.
    expect(edge.node.runtime.inFlightOf('holds-concurrency')).toBe(0);
    expect((await send(`${edge.url}/holds-concurrency?ms=1`)).status).toBe(200);
    await expectStillServing(edge);
  });

  test('reservedConcurrency 0 throttles every call, as Lambda does, and other functions keep serving', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await send(`${edge.url}/throttled?ms=1`);
      expect(res.status).toBe(503);
      expect(res.headers['x-cache']).toBe('LambdaLimitExceeded from verge');
      const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === requestId(res)));
      expect(line.code).toBe('VERGE_ERR_FUNCTION_THROTTLED');
    }
    await expectStillServing(edge);
  });
});

describe('REPORT figures', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await edgeWith([
      { name: 'cpu-busy', code: fixture('cpu-busy'), timeoutMs: 5000 },
      { name: 'idle-await', code: fixture('idle-await') },
      { name: 'holds-20mb', code: fixture('holds-20mb') },
    ]);
  });
  afterAll(async () => {
    await edge?.close();
  });

  test('a CPU-busy invocation reports milliseconds of CPU time', async () => {
    const res = await send(`${edge.url}/cpu-busy`);
    expect(res.status).toBe(200);
    const line = await report(edge, res);
    // 1e7 loop iterations take well over 1 ms of CPU on any machine.
    expect(line.cpuTimeUs).toBeGreaterThan(1_000);
    expect(line.outcome).toBe('ok');
  });

  test('an invocation that only awaits a timer reports a long duration and little CPU time', async () => {
    const res = await send(`${edge.url}/idle-await`);
    expect(res.status).toBe(200);
    const line = await report(edge, res);
    expect(line.durationMs as number).toBeGreaterThanOrEqual(95);
    expect(line.cpuTimeUs as number).toBeGreaterThan(0);
    expect(line.cpuTimeUs as number).toBeLessThan(((line.durationMs as number) * 1000) / 4);
  });

  test('Max Memory Used shows the 20 MB a function keeps, within its Memory Size', async () => {
    const res = await send(`${edge.url}/holds-20mb`);
    expect(res.status).toBe(200);
    const line = await report(edge, res);
    expect(line.maxMemoryUsedMb as number).toBeGreaterThanOrEqual(20);
    expect(line.maxMemoryUsedMb as number).toBeLessThan(line.memorySizeMb as number);
    expect(line.msg).toMatch(/\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/);
  });
});

describe('memory', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    // No heap recycling: the leak grows until memoryMb stops it.
    edge = await edgeWith([{ name: 'heap-leak', code: fixture('heap-leak'), timeoutMs: 5000 }], { recycleHeapPercent: 0 });
  });
  afterAll(async () => {
    await edge?.close();
  });

  test('a heap that grows past memoryMb over several requests ends in 503 VERGE_ERR_FUNCTION_MEMORY, and the next request starts fresh', async () => {
    let failed: RawResponse | undefined;
    // 8 MB a call against 128 MB: V8 stops it a little past the cap (measured: on the 18th call). On
    // a busy machine the first calls may outgrow the 50 ms sync slice and be re-run on a fresh
    // isolate (the count starts again), so allow more calls than that.
    for (let i = 1; i <= 60 && failed === undefined; i++) {
      const res = await send(`${edge.url}/heap-leak`);
      if (res.status !== 200) failed = res;
    }
    expect(failed?.status).toBe(503);
    expect(failed!.headers['x-cache']).toBe('LambdaExecutionError from verge');
    const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === requestId(failed!)));
    expect(line.code).toBe('VERGE_ERR_FUNCTION_MEMORY');
    expect((await report(edge, failed!)).outcome).toBe('VERGE_ERR_FUNCTION_MEMORY');
    const next = await send(`${edge.url}/heap-leak`);
    expect(next.status).toBe(200);
    expect(next.text).toBe('1');
    await expectStillServing(edge);
  });
});

describe('recycling and the warm pool', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await edgeWith(
      [
        { name: 'counts-invocations', code: fixture('counts-invocations') },
        { name: 'spins-past-sync-slice', code: fixture('spins-past-sync-slice'), timeoutMs: 5000 },
        { name: 'holds-concurrency', code: fixture('holds-concurrency') },
      ],
      { recycleHeapPercent: 40, recycleAfterInvocations: 3, isolatesPerVersion: 1 },
    );
  });
  afterAll(async () => {
    await edge?.close();
  });

  test('an isolate is replaced after recycleAfterInvocations calls', async () => {
    const seen: { isolateId: string; invocations: number }[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await send(`${edge.url}/counts-invocations`);
      expect(res.status).toBe(200);
      seen.push(JSON.parse(res.text));
    }
    expect(seen.map((s) => s.invocations)).toEqual([1, 2, 3, 1, 2, 3, 1]);
    expect(new Set(seen.map((s) => s.isolateId)).size).toBe(3);
  });

  test('concurrent calls get their own isolates and run in parallel; only isolatesPerVersion stay warm', async () => {
    const [a, b] = await Promise.all([send(`${edge.url}/spins-past-sync-slice`), send(`${edge.url}/spins-past-sync-slice`)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const ra = JSON.parse(a.text) as { startedMs: number; endedMs: number };
    const rb = JSON.parse(b.text) as { startedMs: number; endedMs: number };
    // Each spun 150 ms; their spans overlap, so neither waited for the other.
    expect(ra.startedMs).toBeLessThan(rb.endedMs);
    expect(rb.startedMs).toBeLessThan(ra.endedMs);

    await Promise.all([1, 2, 3].map(() => send(`${edge.url}/holds-concurrency?ms=100`)));
    const warm = [...edge.node.runtime.stats().warmByVersion].filter(([key]) => key.startsWith('holds-concurrency@'));
    expect(warm).toEqual([[expect.any(String), 1]]);
    await expectStillServing(edge);
  });
});

describe('heap recycling', () => {
  let edge: TestEdge;
  beforeAll(async () => {
    edge = await edgeWith([{ name: 'heap-leak', code: fixture('heap-leak'), timeoutMs: 5000 }], { recycleHeapPercent: 40, recycleAfterInvocations: 0 });
  });
  afterAll(async () => {
    await edge?.close();
  });

  test('a leaking isolate is replaced once its heap passes recycleHeapPercent of memoryMb, before it fails', async () => {
    const counts: number[] = [];
    // 40% of 128 MB is 51 MB, about 6 leaks of 8 MB; without recycling the 18th call would fail.
    for (let i = 0; i < 30; i++) {
      const res = await send(`${edge.url}/heap-leak`);
      expect(res.status).toBe(200);
      counts.push(Number(res.text));
    }
    expect(Math.max(...counts)).toBeLessThan(17);
    // The count starts again at 1 when a new isolate takes over.
    expect(counts.filter((n) => n === 1).length).toBeGreaterThan(1);
  });

});
