// The cache-hit scenario: what serving from the cache costs, against going to the origin directly.
//   (a) the origin directly, GET /cacheable (1 KB, Cache-Control: max-age=3600)
//   (b) Verge with a memory cache in front of it: after the first request every response is a hit
//   (c) the same plus a viewer-response function (edge-functions/security-headers), which CloudFront
//       runs on hits too
// A sample response's X-Cache and the origin's own count of requests during each run say whether hits
// were measured at all: until the node has a cache, (b) and (c) are misses and the table says so.
import { request } from 'node:http';
import { ask, startChild, stop, type Child } from './children.ts';
import { measuredLoad } from './measured-load.ts';
import { cacheHitConfig, type CacheHitScenario } from './scenarios.ts';
import { mean, median } from './stats.ts';

const PATH = '/cacheable';

export interface CacheHitRun {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  /** CPU of the measured process (the origin for (a), the edge for (b), (c)) per request. */
  readonly cpuUsPerReq: number;
  /** Requests the origin saw during the run: 0 when every edge response was a hit. */
  readonly originRequests: number;
  readonly bad: number;
}

export interface CacheHitRow {
  readonly label: string;
  readonly runs: CacheHitRun[];
  /** X-Cache of one response after the warm-up, and of one after the last run ('-' from the origin). */
  xCacheBefore: string;
  xCacheAfter: string;
}

export interface CacheHitResult {
  readonly direct: CacheHitRow;
  readonly cache: CacheHitRow;
  readonly cacheFn: CacheHitRow;
}

export function originRequests(origin: Child): Promise<number> {
  return ask<number>(origin, 'cacheable-requests');
}

/** One GET's X-Cache header (`-` when there is none, as from the origin). */
function xCache(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-cache'] ?? '-')));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${PATH} on port ${port} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function load(port: number, measured: Child, origin: Child, durationS: number, connections: number): Promise<CacheHitRun> {
  // Asked one after the other: both answers arrive as 'message' events of the same child.
  const seenBefore = await originRequests(origin);
  const r = await measuredLoad(`http://127.0.0.1:${port}${PATH}`, measured, { connections, durationS });
  const seenAfter = await originRequests(origin);
  return { rps: r.rps, p50: r.p50, p99: r.p99, requests: r.requests, cpuUsPerReq: r.cpuUsPerReq, originRequests: seenAfter - seenBefore, bad: r.errors + r.non2xx };
}

export interface CacheHitOptions {
  readonly warmupS: number;
  readonly durationS: number;
  readonly connections: number;
  readonly rounds: number;
}

/** Runs (a)–(c) against an already started bench origin; the edges are started and stopped here. */
export async function cacheHitBenchmark(origin: Child, options: CacheHitOptions): Promise<CacheHitResult> {
  const edges = new Map<CacheHitScenario, Child>();
  for (const s of ['cache', 'cache+viewer-response'] as const) {
    edges.set(s, await startChild('./edge-server.ts', [JSON.stringify(cacheHitConfig(s, origin.port))], 'stderr'));
  }
  try {
    const targets = [
      { row: { label: '(a) direct to origin', runs: [], xCacheBefore: '', xCacheAfter: '' } as CacheHitRow, port: origin.port, measured: origin },
      { row: { label: '(b) Verge with a cache', runs: [], xCacheBefore: '', xCacheAfter: '' } as CacheHitRow, port: edges.get('cache')!.port, measured: edges.get('cache')! },
      {
        row: { label: '(c) Verge with a cache + viewer-response function', runs: [], xCacheBefore: '', xCacheAfter: '' } as CacheHitRow,
        port: edges.get('cache+viewer-response')!.port,
        measured: edges.get('cache+viewer-response')!,
      },
    ];
    // Warm-up (JIT, connection pools, the warm isolate, and the first request that fills the cache); not counted.
    for (const t of targets) {
      await xCache(t.port);
      await load(t.port, t.measured, origin, options.warmupS, options.connections);
      t.row.xCacheBefore = await xCache(t.port);
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const t of targets) t.row.runs.push(await load(t.port, t.measured, origin, options.durationS, options.connections));
    }
    for (const t of targets) t.row.xCacheAfter = await xCache(t.port);
    return { direct: targets[0]!.row, cache: targets[1]!.row, cacheFn: targets[2]!.row };
  } finally {
    for (const e of edges.values()) await stop(e);
  }
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

export function printCacheHit(result: CacheHitResult): void {
  const rows = [result.direct, result.cache, result.cacheFn];
  const rps = (row: CacheHitRow) => mean(row.runs.map((r) => r.rps));
  console.log(`\nCache hits: GET ${PATH} (1 KB body, Cache-Control: max-age=3600)\n`);
  console.log('| scenario | req/s (max) | p50 ms | p99 ms | CPU µs/req | X-Cache (sample after warm-up / after) | origin requests during runs | errors + non-2xx |');
  console.log('|---|---:|---:|---:|---:|---|---:|---:|');
  for (const row of rows) {
    const origin = row === result.direct ? '(is the origin)' : String(row.runs.reduce((n, r) => n + r.originRequests, 0));
    console.log(
      `| ${row.label} | ${fmt(rps(row), 0)} | ${fmt(mean(row.runs.map((r) => r.p50)))} | ${fmt(mean(row.runs.map((r) => r.p99)))} | ${fmt(median(row.runs.map((r) => r.cpuUsPerReq)))} | ${row.xCacheBefore} / ${row.xCacheAfter} | ${origin} | ${row.runs.reduce((n, r) => n + r.bad, 0)} |`,
    );
  }
  const hitsMeasured = (row: CacheHitRow) => row.xCacheBefore.startsWith('Hit') && row.xCacheAfter.startsWith('Hit') && row.runs.every((r) => r.originRequests === 0);
  const note = (row: CacheHitRow) => (hitsMeasured(row) ? '' : ' — NOT hits: the edge went to the origin, see X-Cache');
  console.log('\n| figure | value |');
  console.log('|---|---:|');
  console.log(`| (b)/(a) throughput, cache hit against direct${note(result.cache)} | ${fmt(rps(result.cache) / rps(result.direct), 2)} |`);
  console.log(`| (c)/(a) throughput, hit + viewer-response against direct${note(result.cacheFn)} | ${fmt(rps(result.cacheFn) / rps(result.direct), 2)} |`);
  const both = hitsMeasured(result.cache) && hitsMeasured(result.cacheFn) ? '' : ' — NOT on hits';
  console.log(`| (c)/(b) throughput, what the viewer-response function costs on a hit${both} | ${fmt(rps(result.cacheFn) / rps(result.cache), 2)} |`);
}

/** `BENCH_ONLY=cache npm run bench`: this scenario alone (it starts its own origin). */
export async function cacheHitOnly(options: CacheHitOptions): Promise<void> {
  console.log(`Verge bench, cache-hit scenario only: ${options.connections} connections, ${options.durationS} s per run, ${options.rounds} rounds, node ${process.version}`);
  const origin = await startChild('./origin-server.ts', [], 'stdout');
  try {
    printCacheHit(await cacheHitBenchmark(origin, options));
  } finally {
    await stop(origin);
  }
}
