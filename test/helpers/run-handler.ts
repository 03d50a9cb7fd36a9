import { createFunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime } from '../../src/runtime/function-runtime.ts';
import type { InvocationResult } from '../../src/runtime/invocation.ts';
import { encodeEvent } from '../../src/pipeline/cf-wire.ts';

/**
 * Runs Lambda@Edge code in a real isolate through FunctionRuntime (no HTTP), for tests about what code
 * sees inside the sandbox: `run(code)` loads it as a new version and invokes it once with a
 * viewer-request event for GET /.
 */
export interface HandlerRun {
  readonly result: InvocationResult;
  readonly logs: string[];
}

let seq = 0;

export function createHandlerRunner(options: { memoryMb?: number; timeoutMs?: number } = {}) {
  const runtime = new FunctionRuntime({ maxWarmIsolates: 64, syncSliceMs: 50, spareIsolates: 0 });
  const run = async (code: string, ext = '.js'): Promise<HandlerRun> => {
    const name = `sandbox-test-${++seq}`;
    const version = createFunctionVersion(
      { name, codePath: `/var/task/${name}${ext}`, runtime: 'nodejs-edge', memoryMb: options.memoryMb ?? 128, timeoutMs: options.timeoutMs ?? 2000, environment: {} },
      code,
    );
    const logs: string[] = [];
    const event = encodeEvent('viewer-request', { id: 'E1', domainName: 'd.example' }, `req-${seq}`, Date.now() + 2000, {
      clientIp: '127.0.0.1',
      method: 'GET',
      uri: '/',
      querystring: 'a=1&a=2&b=x',
      headers: ['Host', 'example.com'],
    } as never);
    const outcome = await runtime.invoke({ version, event, requestId: `req-${seq}`, onConsole: (level, line) => logs.push(`${level} ${line}`) });
    return { result: outcome.result, logs };
  };
  /** The `body` of a response the handler returned, parsed as JSON; throws with the failure otherwise. */
  const body = async (code: string, ext?: string): Promise<unknown> => {
    const { result } = await run(code, ext);
    if (!result.ok) throw new Error('shape' in result.error ? result.error.message : `${result.error.code}: ${result.error.message}`);
    const payload = result.value;
    const scalars = JSON.parse(payload.slice(0, payload.indexOf('\n') === -1 ? undefined : payload.indexOf('\n'))) as { body?: string };
    return JSON.parse(scalars.body ?? 'null');
  };
  return { run, body, close: () => runtime.close() };
}
