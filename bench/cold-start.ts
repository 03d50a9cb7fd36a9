// Cold start per runtime: the first request of `count` fresh function versions against warm requests
// of the same versions, through an edge node in its own process. See bench/README.md.
import { request } from 'undici';
import { startChild, stop } from './children.ts';
import { coldStartConfig, RUNTIMES, type RuntimeUnderTest } from './scenarios.ts';
import { median } from './stats.ts';

export interface ColdStartResult {
  readonly coldMs: number;
  readonly warmMs: number;
  readonly addedMs: number;
}

/**
 * With `gapMs` 0 the cold starts come back to back, as fast as the node can take them (the worst case
 * for its reserve of blank isolates); with a gap the reserve is ready, as for cold starts that are not
 * bunched together.
 *
 * The warm request a cold one is compared with comes after the same idle time: right after it (the
 * least of 3) back to back, after the same gap otherwise. Any request that follows ~10 ms or more of
 * idleness costs more: measured here, a warm request 1.22 ms right after another against 2.14 ms after
 * 50 ms of quiet, a request without functions 0.93 against 1.59 ms (caches, CPU and scheduler wake-up on
 * both sides of the connection). Compared with a warm request made right after it, a spaced cold start
 * was charged that ~0.9 ms of wake-up too.
 */
export async function coldStart(originPort: number, count: number, gapMs: number, runtime: RuntimeUnderTest = RUNTIMES[0]!): Promise<ColdStartResult> {
  const edge = await startChild('./edge-server.ts', [JSON.stringify(coldStartConfig(originPort, count, runtime))], 'stderr');
  const url = `http://127.0.0.1:${edge.port}`;
  const timed = async (path: string) => {
    const t = performance.now();
    const res = await request(url + path);
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
    return performance.now() - t;
  };
  // Warm the proxy path itself (connections, JIT) on a function-free behavior first.
  for (let i = 0; i < 200; i++) await timed('/plain');
  const added: number[] = [];
  const colds: number[] = [];
  const warms: number[] = [];
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
    const cold = await timed(`/cold/${i}`);
    let warm = Infinity;
    if (gapMs > 0) {
      await new Promise((r) => setTimeout(r, gapMs));
      warm = await timed(`/cold/${i}`);
    } else {
      for (let k = 0; k < 3; k++) warm = Math.min(warm, await timed(`/cold/${i}`));
    }
    colds.push(cold);
    warms.push(warm);
    added.push(cold - warm);
  }
  await stop(edge);
  return { coldMs: median(colds), warmMs: median(warms), addedMs: median(added) };
}

if (process.argv[1] === import.meta.filename) {
  const origin = await startChild('./origin-server.ts', [], 'stdout');
  const count = Number(process.argv[2] ?? 100);
  for (const runtime of RUNTIMES) {
    for (const gapMs of [0, 50]) {
      const r = await coldStart(origin.port, count, gapMs, runtime);
      console.log(`${runtime.label}, ${count} fresh versions, ${gapMs} ms apart: cold ${r.coldMs.toFixed(2)} ms, warm ${r.warmMs.toFixed(2)} ms, added ${r.addedMs.toFixed(2)} ms`);
    }
  }
  await stop(origin);
}
