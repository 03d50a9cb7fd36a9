import { createFunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime } from '../../src/runtime/function-runtime.ts';
import type { InvocationResult } from '../../src/runtime/invocation.ts';
import { encodeEvent } from '../../src/pipeline/cf-wire.ts';
import type { WireEvent } from '../../src/runtime/isolate-instance.ts';
import { functionConfig } from '../../src/config/function-config.ts';

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

/** A viewer-request event for GET /?a=1&a=2&b=x on the wire, as the pipeline would encode it. */
export function viewerRequestEvent(requestId: string): WireEvent {
  return encodeEvent('viewer-request', { id: 'E1', domainName: 'd.example' }, requestId, Date.now() + 2000, {
    clientIp: '127.0.0.1',
    method: 'GET',
    uri: '/',
    querystring: 'a=1&a=2&b=x',
    headers: ['Host', 'example.com'],
  });
}

export function createHandlerRunner(options: { memoryMb?: number; timeoutMs?: number } = {}) {
  const runtime = new FunctionRuntime({ maxWarmIsolates: 64, syncSliceMs: 50, spareIsolates: 0 });
  const run = async (code: string, ext = '.js'): Promise<HandlerRun> => {
    const name = `sandbox-test-${++seq}`;
    const version = createFunctionVersion(
      functionConfig({ name, codePath: `/var/task/${name}${ext}`, memoryMb: options.memoryMb ?? 128, timeoutMs: options.timeoutMs ?? 2000 }),
      code,
    );
    const logs: string[] = [];
    const event = viewerRequestEvent(`req-${seq}`);
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
