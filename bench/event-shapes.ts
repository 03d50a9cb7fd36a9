// Warm call cost per event shape, in process: encode the event → FunctionRuntime.invoke on a warm
// isolate → decode and validate the result, back to back (the floor of a hook call of that shape; the
// load runs measure what a call costs between requests). One op is one hook call.
//   viewer-request                 the request with 10 browser headers
//   origin-request, includeBody    the same plus origin.custom and a 1 KB body (base64)
//   origin-response                the request plus a response with 6 headers
//   viewer-response                the same at viewer-response
//   generated response             a viewer-request function that answers itself (HTML, 2 headers)
// Run alone: npx node --no-node-snapshot bench/event-shapes.ts
import { fileURLToPath } from 'node:url';
import type { EventType } from '../src/config/types.ts';
import type { EdgeRequest, EdgeResponse } from '../src/pipeline/edge-message.ts';
import { stripHopByHop } from '../src/pipeline/header-list.ts';
import { decodeResult, encodeEvent } from '../src/pipeline/cf-wire.ts';
import { validateRequestHookResult, validateResponseHookResult } from '../src/pipeline/cf-result.ts';
import { eventBody } from '../src/pipeline/request-body.ts';
import { FunctionRuntime, type InvokeOutcome } from '../src/runtime/function-runtime.ts';
import { createFunctionVersion } from '../src/runtime/function-version.ts';
import { readFileSync } from 'node:fs';
import { functionConfig } from '../src/config/function-config.ts';

export interface ShapeResult {
  readonly name: string;
  readonly cpuUsPerOp: number;
}

const RAW_HEADERS = [
  'Host', 'www.example.com', 'User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
  'Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'Accept-Language', 'en-GB,en;q=0.9',
  'Accept-Encoding', 'gzip, deflate, br', 'Cookie', 'session=abc123; theme=dark', 'Referer', 'https://www.example.com/',
  'Sec-Fetch-Mode', 'navigate', 'Sec-Fetch-Site', 'same-origin', 'Upgrade-Insecure-Requests', '1',
];
const RESPONSE_HEADERS = ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', '512', 'Cache-Control', 'max-age=60', 'ETag', '"abc123"', 'Last-Modified', 'Thu, 26 Nov 2026 20:00:00 GMT', 'Vary', 'Accept-Encoding'];
const BODY = Buffer.alloc(1024, 'a');
const DISTRIBUTION = { id: 'VERGEBENCH', domainName: 'bench.verge' };
const ORIGIN = {
  customHeaders: {}, domainName: '127.0.0.1', keepaliveTimeout: 5, path: '', port: 8081, protocol: 'http' as const, readTimeout: 30, sslProtocols: ['TLSv1.2'],
};

interface Shape {
  readonly name: string;
  readonly eventType: EventType;
  readonly functionFile: string;
  readonly request: () => EdgeRequest;
  readonly response?: () => EdgeResponse;
}

const request = (): EdgeRequest => ({ clientIp: '127.0.0.1', headers: stripHopByHop(RAW_HEADERS), method: 'GET', querystring: 'a=1', uri: '/index.html' });
const response = (): EdgeResponse => ({ status: '200', statusDescription: 'OK', headers: [...RESPONSE_HEADERS] });

export const SHAPES: readonly Shape[] = [
  { name: 'viewer-request', eventType: 'viewer-request', functionFile: 'viewer-request', request },
  {
    name: 'origin-request with includeBody (1 KB)',
    eventType: 'origin-request',
    functionFile: 'origin-request',
    request: () => ({ ...request(), method: 'POST', body: eventBody('origin-request', BODY), origin: ORIGIN }),
  },
  { name: 'origin-response', eventType: 'origin-response', functionFile: 'origin-response', request, response },
  { name: 'viewer-response', eventType: 'viewer-response', functionFile: 'viewer-response', request, response },
  { name: 'generated response at viewer-request', eventType: 'viewer-request', functionFile: 'generated-response', request },
];

export async function eventShapeBenchmark(iterations = 20_000): Promise<ShapeResult[]> {
  const runtime = new FunctionRuntime({ maxWarmIsolates: 16, syncSliceMs: 50 });
  const results: ShapeResult[] = [];
  const noop = () => undefined;
  for (const shape of SHAPES) {
    const file = fileURLToPath(new URL(`./functions/${shape.functionFile}.js`, import.meta.url));
    const version = createFunctionVersion(
      functionConfig({ name: shape.functionFile, codePath: file, memoryMb: 128, timeoutMs: 5000 }),
      { code: readFileSync(file, 'utf8') },
    );
    const check = (req: EdgeRequest, res: EdgeResponse | undefined, outcome: InvokeOutcome) => {
      if (!outcome.result.ok) throw new Error(`the bench function failed: ${JSON.stringify(outcome.result.error)}`);
      const wire = decodeResult(outcome.result.value);
      if (shape.eventType === 'viewer-request' || shape.eventType === 'origin-request') return validateRequestHookResult(shape.eventType, wire, req);
      return validateResponseHookResult(shape.eventType, wire, res!);
    };
    // Synchronous while the version runs on the node's thread; a version that once outgrew the sync
    // slice (a busy machine can do that) answers with a promise, which is awaited: that is its cost.
    const op = (): unknown => {
      const req = shape.request();
      const res = shape.response?.();
      const outcome = runtime.invoke({ version, event: encodeEvent(shape.eventType, DISTRIBUTION, 'req-1', Date.now() + 5000, req, res), requestId: 'req-1', onConsole: noop });
      return outcome instanceof Promise ? outcome.then((o) => check(req, res, o)) : check(req, res, outcome);
    };
    for (let i = 0; i < Math.min(2000, iterations); i++) {
      const r = op();
      if (r instanceof Promise) await r;
    }
    const before = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const r = op();
      if (r instanceof Promise) await r;
    }
    const used = process.cpuUsage(before);
    results.push({ name: `${shape.name}${version.mode === 'async' ? ' (ran async)' : ''}`, cpuUsPerOp: (used.user + used.system) / iterations });
  }
  runtime.close();
  return results;
}

if (process.argv[1] === import.meta.filename) {
  for (const r of await eventShapeBenchmark(Number(process.argv[2] ?? 20_000))) console.log(`${r.name}: ${r.cpuUsPerOp.toFixed(2)} µs CPU/op`);
}
