// RSS of an edge node with `count` distinct warm functions: one edge node in its own process serves
// `count` functions (distinct code, so distinct versions), each on its own path; after a warm-up on a
// function-free path, each function is requested once (a cold start that leaves a warm isolate), and
// the node's RSS is read before and after. runtime.maxWarmIsolates (default 1,000) must allow them all.
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { ask, rssBytes, startChild, stop } from './children.ts';
import { coldStartConfig, RUNTIMES } from './scenarios.ts';

export interface WarmFunctionsResult {
  readonly count: number;
  readonly rssBeforeMb: number;
  readonly rssAfterMb: number;
  /** Idle warm isolates the node holds at the end (from its own pool statistics). */
  readonly warmIsolates: number;
}

const MB = 1024 * 1024;

export async function warmFunctionsRss(originPort: number, count = 1000): Promise<WarmFunctionsResult> {
  const runtime = { maxWarmIsolates: Math.max(1000, count) };
  const configFile = join(tmpdir(), `verge-bench-warm-functions-${process.pid}.json`);
  writeFileSync(configFile, JSON.stringify(coldStartConfig(originPort, count, RUNTIMES[0], { runtime })));
  const edge = await startChild('./edge-server.ts', [configFile], 'stderr');
  const url = `http://127.0.0.1:${edge.port}`;
  const get = async (path: string) => {
    const res = await request(url + path);
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
  };
  for (let i = 0; i < 200; i++) await get('/plain');
  const before = await rssBytes(edge);
  for (let i = 0; i < count; i++) await get(`/cold/${i}`);
  // Let the blank-isolate reserve settle (it refills from 5 ms after a take) and the code caches be made.
  await new Promise((r) => setTimeout(r, 200));
  const after = await rssBytes(edge);
  const { warmIsolates } = await ask<{ warmIsolates: number }>(edge, 'stats');
  await stop(edge);
  return { count, rssBeforeMb: before / MB, rssAfterMb: after / MB, warmIsolates };
}

if (process.argv[1] === import.meta.filename) {
  const origin = await startChild('./origin-server.ts', [], 'stdout');
  const r = await warmFunctionsRss(origin.port, Number(process.argv[2] ?? 1000));
  console.log(`${r.count} distinct warm functions: RSS ${r.rssAfterMb.toFixed(0)} MB (${r.rssBeforeMb.toFixed(0)} MB before), ${r.warmIsolates} warm isolates, ${((r.rssAfterMb - r.rssBeforeMb) / r.count).toFixed(2)} MB per function`);
  await stop(origin);
}
