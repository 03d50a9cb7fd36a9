// RSS per warm isolate, and where it goes. Runs in a child process of its own (a clean heap, and
// --expose-gc so the host's garbage does not count): creates K isolates at each stage of a warm
// isolate's making and divides the RSS growth by K.
//   bare        new ivm.Isolate({ memoryLimit }) only: V8's heap minimum plus isolated-vm's per-isolate state
//   context     + one context
//   blank       + the bootstrap (lambda-edge.isolate.js) run in it: what the blank-isolate reserve holds
//   warm        a warm isolate of a small function, through FunctionRuntime, after one invocation
// Run alone: npx node --no-node-snapshot --expose-gc bench/isolate-memory.ts [K]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import { encodeEvent } from '../src/pipeline/cf-wire.ts';
import { createBlankIsolate } from '../src/runtime/blank-isolate.ts';
import { FunctionRuntime } from '../src/runtime/function-runtime.ts';
import { createFunctionVersion } from '../src/runtime/function-version.ts';
import { functionConfig } from '../src/config/function-config.ts';

export type IsolateStage = 'bare' | 'context' | 'blank' | 'warm';

export interface IsolateMemoryResult {
  readonly stage: IsolateStage;
  readonly count: number;
  /** Process RSS growth per isolate. */
  readonly rssMbPerIsolate: number;
  /** What the pool counts per isolate against runtime.maxWarmMemoryMb ('warm' only). */
  readonly accountedMbPerIsolate?: number;
}

const MB = 1024 * 1024;
const SOURCE = readFileSync(fileURLToPath(new URL('./functions/viewer-request.js', import.meta.url)), 'utf8');

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage().rss;
}

/** In this process: K isolates at one stage, kept alive until the RSS has been read. */
async function measureHere(stage: IsolateStage, count: number): Promise<IsolateMemoryResult> {
  const held: unknown[] = [];
  let runtime: FunctionRuntime | undefined;
  const event = encodeEvent('viewer-request', { id: 'VERGEBENCH', domainName: 'bench.verge' }, 'r', Date.now() + 60_000, {
    clientIp: '127.0.0.1', headers: ['Host', 'bench.verge'], method: 'GET', querystring: '', uri: '/',
  });
  const make = (i: number): void => {
    if (stage === 'bare') held.push(new ivm.Isolate({ memoryLimit: 128 }));
    else if (stage === 'context') {
      const isolate = new ivm.Isolate({ memoryLimit: 128 });
      held.push(isolate, isolate.createContextSync());
    } else if (stage === 'blank') held.push(createBlankIsolate(128));
    else {
      const version = createFunctionVersion(functionConfig({ name: `f${i}`, codePath: `/bench/f${i}.js`, memoryMb: 128, timeoutMs: 60_000 }), { code: `${SOURCE}\n// ${i}\n` });
      const outcome = runtime!.invoke({ version, event, requestId: 'r', onConsole: () => undefined });
      if (outcome instanceof Promise) throw new Error('expected a synchronous call');
    }
  };
  if (stage === 'warm') runtime = new FunctionRuntime({ maxWarmIsolates: 1_000_000, maxWarmMemoryMb: 1_048_576, syncSliceMs: 1000, spareIsolates: 0 });
  make(-1); // the first one compiles the bootstrap's code cache and warms the JIT
  const before = await settledRss();
  for (let i = 0; i < count; i++) make(i);
  const after = await settledRss();
  const accounted = runtime ? runtime.stats().warmHeapBytes / (count + 1) / MB : undefined;
  runtime?.close();
  return { stage, count, rssMbPerIsolate: (after - before) / count / MB, ...(accounted === undefined ? {} : { accountedMbPerIsolate: accounted }) };
}

/** Each stage in a fresh child process. */
export async function isolateMemory(count = 200, stages: readonly IsolateStage[] = ['bare', 'context', 'blank', 'warm']): Promise<IsolateMemoryResult[]> {
  const results: IsolateMemoryResult[] = [];
  for (const stage of stages) {
    const child = fork(fileURLToPath(import.meta.url), [stage, String(count)], { execArgv: ['--no-node-snapshot', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [result] = (await once(child, 'message')) as [IsolateMemoryResult];
    await once(child, 'exit');
    results.push(result);
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [stage, count] = [process.argv[2], Number(process.argv[3] ?? 200)];
  if (process.send && (stage === 'bare' || stage === 'context' || stage === 'blank' || stage === 'warm')) {
    process.send(await measureHere(stage, count));
    process.exit(0);
  } else {
    for (const r of await isolateMemory(Number(process.argv[2] ?? 200))) {
      console.log(`${r.stage}: ${r.rssMbPerIsolate.toFixed(2)} MB RSS per isolate (${r.count} isolates)${r.accountedMbPerIsolate === undefined ? '' : `, ${r.accountedMbPerIsolate.toFixed(2)} MB accounted by the pool`}`);
    }
  }
}
