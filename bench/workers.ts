// The workers scenario: `verge serve` (supervisor + worker processes) with `workers: 1` against
// `workers: auto`, with scenario (c)'s two viewer functions in front of a memory cache, so every
// measured request is a hit and the origin is out of the loop. How it stays fair on a machine whose
// cores the load generator shares is explained in bench/README.md ("Workers").
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workersConfig, WORKERS_PATH } from './scenarios.ts';
import { median } from './stats.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = process.execPath;
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
/** wrk (Debian package `wrk`): a C load generator at ~10 µs CPU a request here, half of autocannon's. */
const WRK = process.env.BENCH_WORKER_LOAD === 'autocannon' ? undefined : ['/usr/bin/wrk', '/usr/local/bin/wrk'].find((p) => existsSync(p));
const CLOCK_TICKS_PER_S = 100; // USER_HZ: the unit of utime and stime in /proc/PID/stat on Linux
/** Connections in both configurations: 64 a worker with two. With 32 in all, each of two workers waited on the load generator between turns. */
const CONNECTIONS = Number(process.env.BENCH_WORKER_CONNECTIONS ?? 128);
/** Alternating rounds of one worker then `auto`; the table reports each run and the ratio of the medians. */
const ROUNDS = Number(process.env.BENCH_WORKER_ROUNDS ?? 5);

export type LoadGeneratorName = 'wrk' | 'autocannon';

export interface WorkersRun {
  readonly workers: number;
  readonly rps: number;
  readonly p99Ms: number;
  /** CPU of the supervisor and every worker (all threads), per request. */
  readonly edgeCpuUsPerReq: number;
  /** CPU of the workers' main threads (JavaScript, HTTP, sync isolate calls) per request: what one worker's one thread caps. */
  readonly mainThreadCpuUsPerReq: number;
  /** Requests per second the edge could serve with the whole machine to itself (see capacity()). */
  readonly capacityRps: number;
  /** Cores the edge processes kept busy on average (CPU seconds / wall seconds). */
  readonly edgeCores: number;
  /** Cores the load generator kept busy. */
  readonly loadCores: number;
  /** Requests that reached the origin during the run: 0 when every response was a cache hit. */
  readonly originRequests: number;
  readonly bad: number;
}

export interface WorkersResult {
  readonly cores: number;
  readonly loadGenerator: LoadGeneratorName;
  readonly connections: number;
  /** True when the load generator was pinned to the last core (taskset found). */
  readonly pinned: boolean;
  /** One entry per round: one worker, then auto. */
  readonly rounds: ReadonlyArray<{ readonly one: WorkersRun; readonly auto: WorkersRun }>;
  /** Median measured req/s of auto over that of one worker: the load generator takes its share of the same cores. */
  readonly measuredRatio: number;
  /** Median capacity of auto over that of one worker: the scaling with the load generator elsewhere. */
  readonly capacityRatio: number;
}

/** CPU time so far of processes (`/proc/PID/stat`) or threads (`/proc/PID/task/TID/stat`), in µs (Linux). */
function cpuMicrosOf(statFiles: readonly string[]): number {
  let ticks = 0;
  for (const file of statFiles) {
    const stat = readFileSync(file, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: utime is 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks / CLOCK_TICKS_PER_S) * 1e6;
}

/**
 * What the edge could serve with every core to itself (the load generator elsewhere): bounded by the
 * machine's CPU (all cores over the edge's CPU per request) and by each worker's main thread, which
 * runs on one core at a time (workers over the main thread's CPU per request). Measured CPU per
 * request, not req/s, so what the load generator took from the edge does not count.
 */
function capacity(workers: number, edgeCpuUsPerReq: number, mainThreadCpuUsPerReq: number): number {
  return Math.min((availableParallelism() * 1e6) / edgeCpuUsPerReq, (workers * 1e6) / mainThreadCpuUsPerReq);
}

const pinned = (cpus: string | undefined, command: string[]): string[] => (TASKSET && cpus ? [TASKSET, '-c', cpus, ...command] : command);

interface Edge {
  readonly proc: ChildProcess;
  readonly url: string;
  readonly pids: number[];
  stop(): Promise<void>;
}

/**
 * `verge serve` with its stdout (the access and REPORT lines, ~1.5 KB a request) in a file that is
 * emptied every second: writing the lines is the edge's cost and counted, but reading them back
 * through a pipe would take CPU from the edge in the bench's own process, which nothing counts.
 */
async function startVerge(workers: number | 'auto', originPort: number): Promise<Edge> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-workers-'));
  const config = join(dir, 'verge.json');
  const logFile = join(dir, 'stdout.log');
  writeFileSync(config, JSON.stringify({ ...workersConfig(originPort), workers }));
  const fd = openSync(logFile, 'a'); // O_APPEND: after a truncation the edge writes from 0 again, leaving no hole
  const proc = spawn(NODE, ['--no-node-snapshot', join(ROOT, 'bin/verge.js'), 'serve', '--config', config], { stdio: ['ignore', fd, 'inherit'] });
  closeSync(fd);
  const exited = once(proc, 'exit');
  const ready = await new Promise<{ url: string; pids: number[] }>((resolve, reject) => {
    const poll = setInterval(() => {
      const line = readFileSync(logFile, 'utf8').split('\n').find((l) => l.includes('"type":"workers-ready"'));
      if (line) {
        clearInterval(poll);
        resolve(JSON.parse(line) as { url: string; pids: number[] });
      }
    }, 50);
    void exited.then(([code]) => {
      clearInterval(poll);
      reject(new Error(`verge serve exited with ${code} before it was ready`));
    });
  });
  const emptier = setInterval(() => truncateSync(logFile, 0), 1000);
  return {
    proc,
    url: ready.url,
    pids: [proc.pid!, ...ready.pids],
    async stop() {
      clearInterval(emptier);
      proc.kill('SIGTERM');
      await exited.catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface LoadResult {
  readonly rps: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly bad: number;
  /** The load generator's own CPU time (user + system) over the run. */
  readonly cpuUs: number;
}

/** wrk's durations: "812.00us", "20.74ms", "1.02s". */
function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) return Number.NaN;
  return Number(m[1]) * { us: 1e-3, ms: 1, s: 1e3, m: 60e3 }[m[2] as 'us' | 'ms' | 's' | 'm'];
}

/**
 * One wrk run (one thread), under bash so that the `times` builtin prints wrk's CPU time when it has
 * exited (a child's rusage, which /proc no longer shows once it is reaped).
 */
async function wrkLoad(url: string, connections: number, durationS: number, cpu: string | undefined): Promise<LoadResult> {
  const command = pinned(cpu, [WRK!, '-t1', `-c${connections}`, `-d${durationS}s`, '--latency', url]).map((a) => `'${a}'`).join(' ');
  const proc = spawn('/bin/bash', ['-c', `${command}; times`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(proc, 'exit')) as [number];
  const requests = /(\d+) requests in/.exec(out);
  if (code !== 0 || !requests) throw new Error(`wrk failed (exit ${code}): ${out}`);
  // `times` prints the shell's user and system time, then its children's: "0m1.234s 0m0.567s".
  const times = [...out.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)].at(-1)!;
  const cpuUs = (Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4])) * 1e6;
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + (socketErrors ? socketErrors.slice(1).reduce((s, n) => s + Number(n), 0) : 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p99Ms: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
    requests: Number(requests[1]),
    bad,
    cpuUs,
  };
}

/** autocannon in its own process (load-generator.ts), when wrk is not installed. */
async function autocannonLoad(url: string, connections: number, durationS: number, cpu: string | undefined): Promise<LoadResult> {
  const [cmd, ...args] = pinned(cpu, [NODE, join(ROOT, 'bench/load-generator.ts'), JSON.stringify({ url, connections, durationS })]);
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(proc, 'exit');
  const r = JSON.parse(out) as { rps: number; p99: number; requests: number; errors: number; non2xx: number; cpuUs: number };
  return { rps: r.rps, p99Ms: r.p99, requests: r.requests, bad: r.errors + r.non2xx, cpuUs: r.cpuUs };
}

const generateLoad = (url: string, connections: number, durationS: number, cpu: string | undefined) =>
  (WRK ? wrkLoad : autocannonLoad)(url, connections, durationS, cpu);

async function run(workers: number | 'auto', origin: WorkersOrigin, opts: { durationS: number; loadCpu: string | undefined; edgeCpus: string | undefined }): Promise<WorkersRun> {
  const edge = await startVerge(workers, origin.port);
  try {
    const url = `${edge.url}${WORKERS_PATH}`;
    // Warm-up: JIT, warm isolates, and each worker's first request, its one cache miss.
    await generateLoad(url, CONNECTIONS, 2, opts.loadCpu);
    // One worker's main thread, its limit, gets the cores away from the load generator's, as it would
    // with the load generator elsewhere; left free, the scheduler now and then ran it on wrk's core
    // and one worker's runs spread by ~20%. Only that thread (no -a), after the warm-up, so its
    // helper threads (V8's, isolated-vm's, all started by now) stay free to run on any core.
    if (workers === 1 && opts.edgeCpus !== undefined) {
      const tid = edge.pids[1]!;
      await once(spawn(TASKSET!, ['-cp', opts.edgeCpus, String(tid)], { stdio: 'ignore' }), 'exit');
    }
    const processes = edge.pids.map((pid) => `/proc/${pid}/stat`);
    // A process's main thread has the process's id as its thread id.
    const mainThreads = edge.pids.slice(1).map((pid) => `/proc/${pid}/task/${pid}/stat`);
    const edgeBefore = cpuMicrosOf(processes);
    const mainBefore = cpuMicrosOf(mainThreads);
    const originBefore = await origin.requests();
    const started = performance.now();
    const r = await generateLoad(url, CONNECTIONS, opts.durationS, opts.loadCpu);
    const wallUs = (performance.now() - started) * 1000;
    const edgeUs = cpuMicrosOf(processes) - edgeBefore;
    const mainUs = cpuMicrosOf(mainThreads) - mainBefore;
    const workerCount = edge.pids.length - 1;
    const edgeCpuUsPerReq = edgeUs / r.requests;
    const mainThreadCpuUsPerReq = mainUs / r.requests;
    return {
      workers: workerCount,
      rps: r.rps,
      p99Ms: r.p99Ms,
      edgeCpuUsPerReq,
      mainThreadCpuUsPerReq,
      capacityRps: capacity(workerCount, edgeCpuUsPerReq, mainThreadCpuUsPerReq),
      edgeCores: edgeUs / wallUs,
      loadCores: r.cpuUs / wallUs,
      originRequests: (await origin.requests()) - originBefore,
      bad: r.bad,
    };
  } finally {
    await edge.stop();
  }
}

export interface WorkersOrigin {
  readonly port: number;
  /** The origin's count of requests to the cacheable path so far. */
  requests(): Promise<number>;
}

/**
 * `workers: 1` and `workers: auto`, alternating over rounds against the same origin, each flat out.
 * The load generator is pinned to the last core; one worker's main thread to the others; `auto` is
 * not pinned, and its capacity is computed from CPU per request, which does not shrink when the
 * load generator takes a share of the cores.
 */
export async function workersBenchmark(origin: WorkersOrigin, durationS: number): Promise<WorkersResult> {
  const cores = availableParallelism();
  const canPin = TASKSET !== undefined && cores > 1;
  const loadCpu = canPin ? String(cores - 1) : undefined;
  const edgeCpus = canPin ? (cores > 2 ? `0-${cores - 2}` : '0') : undefined;
  const rounds: { one: WorkersRun; auto: WorkersRun }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const one = await run(1, origin, { durationS, loadCpu, edgeCpus });
    const auto = await run('auto', origin, { durationS, loadCpu, edgeCpus });
    rounds.push({ one, auto });
  }
  return {
    cores,
    loadGenerator: WRK ? 'wrk' : 'autocannon',
    connections: CONNECTIONS,
    pinned: canPin,
    rounds,
    measuredRatio: median(rounds.map((r) => r.auto.rps)) / median(rounds.map((r) => r.one.rps)),
    capacityRatio: median(rounds.map((r) => r.auto.capacityRps)) / median(rounds.map((r) => r.one.capacityRps)),
  };
}
