/**
 * Runs one function on a test event, like the Lambda console's Test button (`verge invoke`): the
 * event in Lambda@Edge's shape (`Records[0].cf`, its eventType in `cf.config`), the function in a
 * real isolate with its memory and time limits, the result back in the event's shape, and the REPORT
 * line and console lines of the call.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { z } from 'zod';
import type { FunctionConfig } from '../config/types.ts';
import { VergeError } from '../errors/verge-error.ts';
import { createLogger } from '../observability/logger.ts';
import type { EdgeRequest, EdgeResponse } from '../pipeline/edge-message.ts';
import { HookRunner } from '../pipeline/hook-runner.ts';
import { FunctionRegistry } from '../runtime/function-registry.ts';
import { FunctionRuntime } from '../runtime/function-runtime.ts';
import { prepareSandbox } from '../runtime/sandbox/sandbox.ts';

const cfHeaders = z.record(z.string(), z.array(z.strictObject({ key: z.string().optional(), value: z.string() })));
const eventSchema = z.object({
  Records: z.tuple([
    z.object({
      cf: z.object({
        config: z.object({ eventType: z.enum(['viewer-request', 'origin-request', 'origin-response', 'viewer-response']) }).loose(),
        request: z.object({
          clientIp: z.string().default('203.0.113.178'),
          headers: cfHeaders.default({}),
          method: z.string().default('GET'),
          querystring: z.string().default(''),
          uri: z.string().default('/'),
        }).loose(),
        response: z.object({ status: z.string(), statusDescription: z.string().default(''), headers: cfHeaders.default({}) }).loose().optional(),
      }).loose(),
    }).loose(),
  ]).rest(z.unknown()),
}).loose();

export interface TestInvocation {
  readonly ok: boolean;
  /** The function's result in the event's shape (a request or a response), or the error when it failed. */
  readonly result: unknown;
  readonly error?: { readonly code: string; readonly message: string };
  /** Lambda's REPORT line, and the function's console lines, as the node logs them. */
  readonly report: string | undefined;
  readonly logs: readonly string[];
}

/** Checks a test event, naming what is wrong (`Records.0.cf.config.eventType: …`). */
export function parseTestEvent(event: unknown): z.infer<typeof eventSchema> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new VergeError('VERGE_ERR_TEST_EVENT_INVALID', `The test event is not a Lambda@Edge event: ${first.path.join('.')}: ${first.message}`, 'user');
  }
  return parsed.data;
}

export async function invokeWithTestEvent(fn: FunctionConfig, rawEvent: unknown): Promise<TestInvocation> {
  const cf = parseTestEvent(rawEvent).Records[0].cf;
  const eventType = cf.config.eventType;
  const lines: string[] = [];
  let partial = '';
  const logger = createLogger({
    level: 'info',
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        partial += chunk.toString();
        let nl: number;
        while ((nl = partial.indexOf('\n')) !== -1) {
          lines.push(partial.slice(0, nl));
          partial = partial.slice(nl + 1);
        }
        callback();
      },
    }),
  });
  const runtime = new FunctionRuntime({ isolatesPerVersion: 1, recycleAfterInvocations: 0, recycleHeapPercent: 0, maxWarmIsolates: 1, maxWarmMemoryMb: 1024, syncSliceMs: 50 });
  const registry = await FunctionRegistry.load([fn], () => undefined);
  prepareSandbox();
  try {
    const hooks = new HookRunner(runtime, registry, logger, { id: 'VERGETEST', domainName: 'test.verge.local' });
    const request: EdgeRequest = { clientIp: cf.request.clientIp, headers: flat(cf.request.headers), method: cf.request.method, querystring: cf.request.querystring, uri: cf.request.uri };
    const assoc = { name: fn.name, includeBody: false };
    const requestId = randomUUID();
    let result: unknown;
    try {
      if (eventType === 'viewer-request' || eventType === 'origin-request') {
        const out = await hooks.runRequestHook(eventType, assoc, request, requestId);
        result = out.kind === 'request' ? { ...out.request, headers: nested(out.request.headers) } : { ...out.response, headers: nested(out.response.headers), body: out.body?.toString() };
      } else {
        if (cf.response === undefined) throw new VergeError('VERGE_ERR_TEST_EVENT_INVALID', `A ${eventType} test event needs Records[0].cf.response`, 'user');
        const response: EdgeResponse = { status: cf.response.status, statusDescription: cf.response.statusDescription, headers: flat(cf.response.headers) };
        const out = await hooks.runResponseHook(eventType, assoc, request, response, requestId);
        result = { ...out.response, headers: nested(out.response.headers), ...(out.body === undefined ? {} : { body: out.body.toString() }) };
      }
      return { ok: true, result, ...logsOf(lines) };
    } catch (err) {
      if (!(err instanceof VergeError) || err.code === 'VERGE_ERR_TEST_EVENT_INVALID') throw err;
      return { ok: false, result: undefined, error: { code: err.code, message: err.message }, ...logsOf(lines) };
    }
  } finally {
    registry.close();
    runtime.close();
  }
}

function flat(headers: z.infer<typeof cfHeaders>): string[] {
  const out: string[] = [];
  for (const [lower, entries] of Object.entries(headers)) for (const e of entries) out.push(e.key ?? lower, e.value);
  return out;
}

function nested(list: readonly string[]): Record<string, { key: string; value: string }[]> {
  const out: Record<string, { key: string; value: string }[]> = {};
  for (let i = 0; i < list.length; i += 2) (out[list[i]!.toLowerCase()] ??= []).push({ key: list[i]!, value: list[i + 1]! });
  return out;
}

const messageOf = (line: string): string => {
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
  } catch {
    return line;
  }
};

/** The call's log messages, and its REPORT line among them. */
function logsOf(lines: readonly string[]): { report: string | undefined; logs: string[] } {
  const logs = lines.map(messageOf);
  return { report: logs.find((m) => m.startsWith('REPORT ')), logs };
}
