// The workers scenario: `verge serve` (supervisor + worker processes) with `workers: 1` against
// `workers: auto`, on the config of scenario (c). How it stays fair on a machine whose cores the
// load generator shares is explained in bench/README.md ("Workers").
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { edgeConfig } from './scenarios.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = process.execPath;
const TASKSET = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
/** The fixed rate each worker gets in the equal-load runs: about half of what one worker can serve here. */
const PER_WORKER_RPS = Number(process.env.BENCH_WORKER_RPS ?? 3000);
const CLOCK_TICKS_PER_S = 100; // USER_HZ: the unit of utime and stime in /proc/PID/stat on Linux

export interface WorkersRun {
  readonly workers: number;
  readonly rps: number;
  readonly p99: number;
  /** CPU of the supervisor and every worker, per request. */
  readonly edgeCpuUsPerReq: number;
  /** CPU of the workers' main threads (JavaScript, HTTP, sync isolate calls) per request: what one worker's one thread caps. */
  readonly mainThreadCpuUsPerReq: number;
  /** Requests per second the edge could serve with the whole machine to itself (see capacity()). */
  readonly capacityRps: number;
  /** Cores the edge processes kept busy on average (CPU seconds / wall seconds). */
  readonly edgeCores: number;
  /** Cores the load generator and the origin kept busy. */
  readonly loadCores: number;
  readonly bad: number;
}

export interface WorkersResult {
  readonly cores: number;
  /** True when the load generator and the origin were pinned to the last core (taskset found). */
  readonly pinned: boolean;
  readonly one: WorkersRun;
  readonly auto: WorkersRun;
  /** auto's capacity over one worker's, from the runs at maximum load. */
  readonly capacityRatio: number;
  /** The same two at a fixed rate per worker (`perWorkerRps` each), so each worker batches alike. */
  readonly perWorkerRps: number;
  readonly oneFixed: WorkersRun;
  readonly autoFixed: WorkersRun;
  /** auto's capacity at the fixed rate per worker over one worker's at max load: the scaling "with the load generator elsewhere". */
  readonly capacityRatioFixed: number;
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
 * request, not req/s, so what the load generator and any other process took from the edge does not count.
 */
function capacity(workers: number, edgeCpuUsPerReq: number, mainThreadCpuUsPerReq: number): number {
  return Math.min((availableParallelism() * 1e6) / edgeCpuUsPerReq, (workers * 1e6) / mainThreadCpuUsPerReq);
}

const pinned = (cpus: string | undefined, command: string[]): string[] => (TASKSET && cpus ? [TASKSET, '-c', cpus, ...command] : command);

async function startVerge(workers: number | 'auto', originPort: number, cpus: string | undefined): Promise<{ proc: ChildProcess; url: string; pids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-bench-workers-'));
  const config = join(dir, 'verge.json');
  writeFileSync(config, JSON.stringify({ ...edgeConfig('c', originPort), workers }));
  const [cmd, ...args] = pinned(cpus, [NODE, '--no-node-snapshot', join(ROOT, 'bin/verge.js'), 'serve', '--config', config]);
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env } });
  let buffered = '';
  const ready = await new Promise<{ url: string; pids: number[] }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.includes('"type":"workers-ready"'));
      if (line) {
        proc.stdout!.off('data', onData);
        proc.stdout!.resume(); // the access lines that follow are discarded
        resolve(JSON.parse(line) as { url: string; pids: number[] });
      }
    };
    proc.stdout!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`verge serve exited with ${code} before it was ready`)));
  });
  return { proc, url: ready.url, pids: [proc.pid!, ...ready.pids] };
}

async function generateLoad(url: string, connections: number, durationS: number, cpus: string | undefined, rps?: number): Promise<{ rps: number; p99: number; requests: number; errors: number; non2xx: number; cpuUs: number }> {
  const [cmd, ...args] = pinned(cpus, [NODE, join(ROOT, 'bench/load-generator.ts'), JSON.stringify({ url, connections, durationS, rps })]);
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(proc, 'exit');
  return JSON.parse(out) as { rps: number; p99: number; requests: number; errors: number; non2xx: number; cpuUs: number };
}

async function run(workers: number | 'auto', originCpu: () => Promise<number>, originPort: number, opts: { durationS: number; connections: number; loadCpu: string | undefined; edgeCpus: string | undefined; rps?: number }): Promise<WorkersRun> {
  const edge = await startVerge(workers, originPort, opts.edgeCpus);
  try {
    await generateLoad(`${edge.url}/`, opts.connections, 1, opts.loadCpu); // warm-up: JIT, pools, warm isolates
    const processes = edge.pids.map((pid) => `/proc/${pid}/stat`);
    // A process's main thread has the process's id as its thread id.
    const mainThreads = edge.pids.slice(1).map((pid) => `/proc/${pid}/task/${pid}/stat`);
    const edgeBefore = cpuMicrosOf(processes);
    const mainBefore = cpuMicrosOf(mainThreads);
    const originBefore = await originCpu();
    const started = performance.now();
    const r = await generateLoad(`${edge.url}/`, opts.connections, opts.durationS, opts.loadCpu, opts.rps);
    const wallUs = (performance.now() - started) * 1000;
    const edgeUs = cpuMicrosOf(processes) - edgeBefore;
    const mainUs = cpuMicrosOf(mainThreads) - mainBefore;
    const originUs = (await originCpu()) - originBefore;
    const workerCount = edge.pids.length - 1;
    const edgeCpuUsPerReq = edgeUs / r.requests;
    const mainThreadCpuUsPerReq = mainUs / r.requests;
    return {
      workers: workerCount,
      rps: r.rps,
      p99: r.p99,
      edgeCpuUsPerReq,
      mainThreadCpuUsPerReq,
      capacityRps: capacity(workerCount, edgeCpuUsPerReq, mainThreadCpuUsPerReq),
      edgeCores: edgeUs / wallUs,
      loadCores: (r.cpuUs + originUs) / wallUs,
      bad: r.errors + r.non2xx,
    };
  } finally {
    const exited = once(edge.proc, 'exit');
    edge.proc.kill('SIGTERM');
    await exited;
  }
}

/**
 * `workers: 1` then `workers: auto` against the same origin. The load generator and the origin are
 * pinned to the last core in both runs and the edge is not pinned: the single worker's one thread is
 * its limit wherever it runs, and `auto`, which shares the last core with them, is also projected
 * to the cores it would have to itself.
 */
export async function workersBenchmark(origin: { pid: number; cpu: () => Promise<number>; port: number }, durationS: number, connections: number): Promise<WorkersResult> {
  const cores = availableParallelism();
  const last = String(cores - 1);
  const canPin = TASKSET !== undefined && cores > 1;
  if (canPin) await once(spawn(TASKSET!, ['-a', '-cp', last, String(origin.pid)], { stdio: 'ignore' }), 'exit');
  try {
    const loadCpu = canPin ? last : undefined;
    const one = await run(1, origin.cpu, origin.port, { durationS, connections, loadCpu, edgeCpus: undefined });
    const auto = await run('auto', origin.cpu, origin.port, { durationS, connections, loadCpu, edgeCpus: undefined });
    // At maximum load one worker alone batches more requests per event-loop turn than each of two
    // sharing the same load generator, so its CPU per request is lower for that reason alone. At
    // the same fixed rate per worker, each worker does the same work per turn; the load generator's
    // and the origin's share of the cores stays small enough to leave the edge its own core.
    const oneFixed = await run(1, origin.cpu, origin.port, { durationS, connections, loadCpu, edgeCpus: undefined, rps: PER_WORKER_RPS });
    const autoFixed = await run('auto', origin.cpu, origin.port, { durationS, connections, loadCpu, edgeCpus: undefined, rps: PER_WORKER_RPS * cores });
    return {
      cores,
      pinned: canPin,
      one,
      auto,
      capacityRatio: auto.capacityRps / one.capacityRps,
      perWorkerRps: PER_WORKER_RPS,
      oneFixed,
      autoFixed,
      // One worker at its best (max load: the most batching, so the least CPU per request) against
      // two at a moderate rate each (less batching than at max load): conservative on both sides.
      capacityRatioFixed: autoFixed.capacityRps / one.capacityRps,
    };
  } finally {
    if (canPin) await once(spawn(TASKSET!, ['-a', '-cp', `0-${cores - 1}`, String(origin.pid)], { stdio: 'ignore' }), 'exit');
  }
}
