// In-process micro-benchmarks of the warm call path: CPU per operation, measured with process.cpuUsage.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/observability/logger.ts';
import { HookRunner } from '../src/pipeline/hook-runner.ts';
import type { EdgeRequest } from '../src/pipeline/edge-message.ts';
import { stripHopByHop } from '../src/pipeline/header-list.ts';
import { decodeResult, encodeEvent } from '../src/pipeline/cf-wire.ts';
import { validateRequestHookResult } from '../src/pipeline/cf-result.ts';
import { FunctionRegistry } from '../src/runtime/function-registry.ts';
import { FunctionRuntime } from '../src/runtime/function-runtime.ts';

export interface MicroResult {
  readonly name: string;
  readonly cpuUsPerOp: number;
  readonly target?: string;
}

const RAW_HEADERS = [
  'Host', 'www.example.com', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language', 'en-GB,en;q=0.9',
  'Accept-Encoding', 'gzip, deflate, br', 'Cookie', 'session=abc123; theme=dark', 'Referer', 'https://www.example.com/',
  'Sec-Fetch-Mode', 'navigate', 'Sec-Fetch-Site', 'same-origin', 'Upgrade-Insecure-Requests', '1',
];

async function measure(name: string, iterations: number, op: () => unknown | Promise<unknown>, target?: string): Promise<MicroResult> {
  for (let i = 0; i < Math.min(2000, iterations); i++) await op();
  const before = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await op();
  const used = process.cpuUsage(before);
  return { name, cpuUsPerOp: (used.user + used.system) / iterations, target };
}

export async function microBenchmark(): Promise<MicroResult[]> {
  const logger = createLogger({ level: 'info', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
  const runtime = new FunctionRuntime({ maxWarmIsolates: 16, syncSliceMs: 50 });
  const code = fileURLToPath(new URL('./functions/viewer-request.js', import.meta.url));
  const registry = new FunctionRegistry(
    [{ name: 'vreq', codePath: code, runtime: 'nodejs-edge', memoryMb: 128, timeoutMs: 5000, maxSubrequests: 50, environment: {} }],
    () => undefined,
  );
  const hooks = new HookRunner(runtime, registry, logger, { id: 'VERGEBENCH', domainName: 'bench.verge' });
  const request = (): EdgeRequest => ({ clientIp: '127.0.0.1', headers: stripHopByHop(RAW_HEADERS), method: 'GET', querystring: 'a=1', uri: '/index.html' });
  const version = registry.get('vreq');
  const distribution = { id: 'VERGEBENCH', domainName: 'bench.verge' };
  const noop = () => undefined;
  const results = [
    await measure('stripHopByHop (10 headers)', 50_000, () => stripHopByHop(RAW_HEADERS)),
    // Back-to-back calls in one tight loop: the isolate's caches stay warm, so this is the floor of a
    // hook call, not what a call costs between requests (the load runs above measure that).
    await measure(
      'warm hook call, tight loop: encode → isolate (async handler) → decode + validate',
      20_000,
      () => {
        const req = request();
        const outcome = runtime.invoke({ version, event: encodeEvent('viewer-request', distribution, 'req-1', Date.now() + 5000, req), requestId: 'req-1', onConsole: noop });
        if (outcome instanceof Promise) throw new Error('expected a synchronous outcome');
        if (!outcome.result.ok) throw new Error('the bench function failed');
        return validateRequestHookResult('viewer-request', decodeResult(outcome.result.value), req);
      },
    ),
    await measure(
      'warm hook through HookRunner (batched to the next turn, REPORT line to a null stream)',
      20_000,
      () => hooks.runRequestHook('viewer-request', { name: 'vreq', includeBody: false }, request(), 'req-1'),
    ),
  ];
  runtime.close();
  return results;
}
