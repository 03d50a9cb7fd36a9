import { expect } from 'vitest';
import { eventually, functionFile, type LogLine, type RawResponse, type TestEdge } from './harness.ts';

/**
 * Function fixtures for the lifecycle tests, named for what they provoke, and small readers for what
 * comes back (the event a function saw, the log lines of one request).
 */

export interface FunctionOptions {
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
  readonly ext?: string;
}

/** A `functions[]` entry whose code is `source`, written to a temp file. */
export function fn(name: string, source: string, options: FunctionOptions = {}): Record<string, unknown> {
  return { name, code: functionFile(source, options.ext), timeoutMs: options.timeoutMs ?? 2_000, ...(options.memoryMb ? { memoryMb: options.memoryMb } : {}) };
}

/** Request hooks: answers with a generated response whose body is the event, as JSON. */
export const ECHO_EVENT_AS_RESPONSE = `exports.handler = async (event) => ({
  status: '200',
  statusDescription: 'OK',
  headers: { 'content-type': [{ key: 'Content-Type', value: 'application/json' }] },
  body: JSON.stringify(event),
});`;

/** Response hooks: replaces the body with the event, as JSON, keeping status and headers. */
export const ECHO_EVENT_AS_BODY = `exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  response.body = JSON.stringify(event);
  return response;
};`;

/** Request hooks: passes the request on untouched. */
export const PASS_REQUEST = `exports.handler = async (event) => event.Records[0].cf.request;`;

/** Response hooks: passes the response on untouched. */
export const PASS_RESPONSE = `exports.handler = async (event) => event.Records[0].cf.response;`;

/** The `cf` record of an event echoed in a response body. */
export function echoedCf(res: RawResponse): any {
  const event = JSON.parse(res.text) as { Records: { cf: unknown }[] };
  return event.Records[0]!.cf;
}

/** The request id Verge gave a response. */
export function requestIdOf(res: RawResponse): string {
  const id = res.headers['x-verge-request-id'];
  if (typeof id !== 'string') throw new Error('response has no x-verge-request-id');
  return id;
}

/** Log lines of one request, optionally of one type. */
export function logsOf(edge: TestEdge, requestId: string, type?: string): LogLine[] {
  return edge.logs.filter(
    (l) => (l.requestId === requestId || l['x-edge-request-id'] === requestId) && (type === undefined || l.type === type),
  );
}

/** Header names in the order they arrived (Node's rawHeaders keeps case, order and duplicates). */
export function rawNames(rawHeaders: readonly string[]): string[] {
  return rawHeaders.filter((_, i) => i % 2 === 0);
}

/** [name, value] pairs of every header called `lower`, in arrival order. */
export function rawPairs(rawHeaders: readonly string[], lower: string): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lower) out.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return out;
}

/**
 * Raw request headers for `send` (an array keeps case, order and duplicates). Node adds no Host to an
 * array of headers, so it is put first here.
 */
export function rawRequestHeaders(url: string, ...pairs: string[]): string[] {
  return ['Host', new URL(url).host, ...pairs];
}

export interface ExpectedError {
  readonly status: number;
  /** The x-cache value's first word: LambdaExecutionError, LambdaValidationError, Error. */
  readonly cacheStatus: string;
  readonly code: string;
  /** For function errors: which function failed, at which event. */
  readonly fn?: { readonly name: string; readonly eventType: string };
}

/**
 * An error answer as Verge promises it: status, `x-cache`, a short body naming the code and the
 * request id, and exactly one `type: 'error'` log line with the code and request id (and, for a
 * function, its name, version and event type). Returns that log line.
 */
export async function expectErrorResponse(edge: TestEdge, res: RawResponse, expected: ExpectedError): Promise<LogLine> {
  const requestId = requestIdOf(res);
  expect(res.status).toBe(expected.status);
  expect(res.headers['x-cache']).toBe(`${expected.cacheStatus} from verge`);
  expect(res.text).toContain(expected.code);
  expect(res.text).toContain(requestId);
  expect(res.body.length).toBeLessThan(512);
  const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === requestId));
  expect(line.code).toBe(expected.code);
  if (expected.fn !== undefined) {
    expect(line.function).toBe(expected.fn.name);
    expect(line.eventType).toBe(expected.fn.eventType);
    expect(typeof line.version).toBe('string');
    expect(line.version).not.toBe('');
  }
  // Give a duplicate a moment to show up before counting.
  await new Promise((r) => setTimeout(r, 20));
  expect(edge.logs.filter((l) => l.type === 'error' && l.requestId === requestId)).toHaveLength(1);
  return line;
}
