// A warm synchronous hook call in one tight loop: FunctionRuntime.invoke on a warm isolate with a sync
// handler, no encode/validate around it. The floor the per-version pool must not raise. A 1 s sync
// slice keeps a busy machine's scheduling hiccups from moving the version to the thread pool.
// Run: npx node --no-node-snapshot bench/warm-sync-call.ts
import { fileURLToPath } from 'node:url';
import { encodeEvent } from '../src/pipeline/cf-wire.ts';
import { stripHopByHop } from '../src/pipeline/header-list.ts';
import { FunctionRegistry } from '../src/runtime/function-registry.ts';
import { FunctionRuntime } from '../src/runtime/function-runtime.ts';
import { functionConfig } from '../src/config/function-config.ts';

const ITERATIONS = Number(process.env.BENCH_OPS ?? 50_000);

export async function warmSyncCall(makeRuntime: () => FunctionRuntime): Promise<{ cpuUsPerOp: number; wallUsPerOp: number }> {
  const runtime = makeRuntime();
  const code = fileURLToPath(new URL('./functions/viewer-request-sync.js', import.meta.url));
  const registry = await FunctionRegistry.load([functionConfig({ name: 'vreq-sync', codePath: code, memoryMb: 128, timeoutMs: 5000 })], () => undefined);
  const version = registry.get('vreq-sync');
  const event = encodeEvent('viewer-request', { id: 'VERGEBENCH', domainName: 'bench.verge' }, 'req-1', Date.now() + 5000, {
    clientIp: '127.0.0.1', headers: stripHopByHop(['Host', 'example.com', 'Accept', '*/*']), method: 'GET', querystring: '', uri: '/',
  });
  const noop = () => undefined;
  const call = () => {
    const outcome = runtime.invoke({ version, event, requestId: 'req-1', onConsole: noop });
    if (outcome instanceof Promise) throw new Error('expected a synchronous call');
    if (!outcome.result.ok) throw new Error(`the bench function failed: ${JSON.stringify(outcome.result.error)}`);
  };
  for (let i = 0; i < 5_000; i++) call();
  const cpu = process.cpuUsage();
  const t = performance.now();
  for (let i = 0; i < ITERATIONS; i++) call();
  const wallUsPerOp = ((performance.now() - t) * 1000) / ITERATIONS;
  const used = process.cpuUsage(cpu);
  runtime.close();
  return { cpuUsPerOp: (used.user + used.system) / ITERATIONS, wallUsPerOp };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (let round = 0; round < 3; round++) {
    const r = await warmSyncCall(() => new FunctionRuntime({ maxWarmIsolates: Number(process.env.MAX_WARM ?? 1000), syncSliceMs: 1000, ...(process.env.RECYCLE ? { recycleAfterInvocations: Number(process.env.RECYCLE) } : {}) }));
    console.log(`warm sync call: ${r.cpuUsPerOp.toFixed(2)} µs CPU/op, ${r.wallUsPerOp.toFixed(2)} µs wall/op`);
  }
}
