import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fn, logsOf, PASS_REQUEST, PASS_RESPONSE, rawRequestHeaders, requestIdOf } from '../helpers/cf-fixtures.ts';
import { eventually, send, startEdge, startOrigin, type LogLine, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// One access-log line per request with CloudFront's standard log field names, and Lambda's
// START / END / REPORT lines around every invocation.

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    const delayMs = req.url?.includes('slow') ? 150 : 0;
    const size = /\/bytes-(\d+)/.exec(req.url ?? '');
    setTimeout(() => {
      const body = size ? 'x'.repeat(Number(size[1])) : 'hello from origin';
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    }, delayMs);
  });
  edge = await startEdge({
    location: 'fra-test',
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn('viewer-fn', PASS_REQUEST),
      fn('cold-then-warm', PASS_RESPONSE, { memoryMb: 256 }),
      fn('throws', `exports.handler = async () => { throw new Error('nope'); };`),
      fn('generate', `exports.handler = async () => ({ status: '200', body: 'generated' });`),
    ],
    behaviors: [
      { pathPattern: '/two-functions/*', originId: 'o', functions: { 'viewer-request': { name: 'viewer-fn' }, 'origin-response': { name: 'cold-then-warm' } } },
      { pathPattern: '/throws', originId: 'o', functions: { 'viewer-request': { name: 'throws' } } },
      { pathPattern: '/generate', originId: 'o', functions: { 'viewer-request': { name: 'generate' } } },
      { pathPattern: '*', originId: 'o' },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

async function accessLines(requestId: string): Promise<LogLine[]> {
  await eventually(() => logsOf(edge, requestId, 'access').length > 0);
  await new Promise((r) => setTimeout(r, 20)); // a duplicate would show up by now
  return logsOf(edge, requestId, 'access');
}

describe('access log', () => {
  test('one line per request, with CloudFront field names and values describing the request', async () => {
    const res = await send(`${edge.url}/some/page.html?a=1&b=2`, {
      headers: rawRequestHeaders('http://www.example.com', 'User-Agent', 'test-agent/1.0', 'Referer', 'http://ref.example/'),
    });
    const lines = await accessLines(requestIdOf(res));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      'x-edge-location': 'fra-test',
      'c-ip': '127.0.0.1',
      'cs-method': 'GET',
      'cs(Host)': 'www.example.com',
      'cs-uri-stem': '/some/page.html',
      'cs-uri-query': 'a=1&b=2',
      'sc-status': 200,
      'cs(User-Agent)': 'test-agent/1.0',
      'cs(Referer)': 'http://ref.example/',
      'x-edge-result-type': 'Miss',
      'x-edge-request-id': requestIdOf(res),
      'cs-protocol': 'http',
      'cs-protocol-version': 'HTTP/1.1',
    });
    expect(line.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(line.time).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    expect(`${line.date}T${line.time}Z`).toBe(new Date(Date.parse(`${line.date}T${line.time}Z`)).toISOString().replace('.000', ''));
    expect(line['time-taken']).toBeTypeOf('number');
    expect(line['time-taken'] as number).toBeGreaterThanOrEqual(0);
    // Status line, headers and the 17-byte body.
    expect(line['sc-bytes'] as number).toBeGreaterThan(17 + 100);
    expect(line['sc-bytes'] as number).toBeLessThan(17 + 1_000);
  });

  test('cs-uri-query is "-" without a query string', async () => {
    const res = await send(`${edge.url}/plain`);
    const [line] = await accessLines(requestIdOf(res));
    expect(line!['cs-uri-query']).toBe('-');
  });

  test('time-taken covers the wait for the origin', async () => {
    const res = await send(`${edge.url}/slow`);
    const [line] = await accessLines(requestIdOf(res));
    expect(line!['time-taken'] as number).toBeGreaterThanOrEqual(0.14);
  });

  test('sc-bytes grows with the body sent', async () => {
    const small = await accessLines(requestIdOf(await send(`${edge.url}/bytes-1000`)));
    const large = await accessLines(requestIdOf(await send(`${edge.url}/bytes-5000`)));
    expect((large[0]!['sc-bytes'] as number) - (small[0]!['sc-bytes'] as number)).toBe(4000);
  });

  test('an error response is logged once, with its status and result type Error', async () => {
    const res = await send(`${edge.url}/throws`);
    const lines = await accessLines(requestIdOf(res));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ 'sc-status': 503, 'x-edge-result-type': 'Error' });
  });

  test('a generated response is logged once', async () => {
    const res = await send(`${edge.url}/generate`);
    const lines = await accessLines(requestIdOf(res));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ 'sc-status': 200, 'cs-uri-stem': '/generate' });
  });

  test('a chunked upload streamed to the origin is logged once and the node keeps serving', async () => {
    // undici clears req.socket once it has sent a streamed body; the access log must not depend on it.
    const res = await send(`${edge.url}/upload`, { method: 'POST', body: 'chunked body', headers: rawRequestHeaders(edge.url, 'Transfer-Encoding', 'chunked') });
    expect(res.status).toBe(200);
    const lines = await accessLines(requestIdOf(res));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ 'c-ip': '127.0.0.1', 'cs-method': 'POST', 'sc-status': 200 });
    expect((await send(`${edge.url}/plain`)).status).toBe(200);
  });
});

describe('START, END and REPORT', () => {
  test('each invocation writes START, END and REPORT in that order, with the request id, function, version and event type', async () => {
    const res = await send(`${edge.url}/two-functions/a`);
    const id = requestIdOf(res);
    const lines = await eventually(() => {
      const l = logsOf(edge, id).filter((x) => ['START', 'END', 'REPORT'].includes(String(x.type)));
      return l.length === 6 ? l : undefined;
    });
    expect(lines.map((l) => `${l.type} ${l.eventType}`)).toEqual([
      'START viewer-request',
      'END viewer-request',
      'REPORT viewer-request',
      'START origin-response',
      'END origin-response',
      'REPORT origin-response',
    ]);
    expect(lines[0]).toMatchObject({ function: 'viewer-fn', requestId: id });
    expect(lines[3]).toMatchObject({ function: 'cold-then-warm', requestId: id });
    expect(lines[0]!.version).toBeTypeOf('string');
    expect(lines[0]!.msg).toBe(`START RequestId: ${id} Version: ${lines[0]!.version}`);
    expect(lines[1]!.msg).toBe(`END RequestId: ${id}`);
  });

  test('REPORT has durationMs, billedDurationMs, memorySizeMb, maxMemoryUsedMb, and initDurationMs only on a cold start', async () => {
    const reportOf = async (): Promise<LogLine> => {
      const res = await send(`${edge.url}/two-functions/a`);
      return eventually(() => logsOf(edge, requestIdOf(res), 'REPORT').find((l) => l.function === 'cold-then-warm'));
    };
    // The first test in this file may already have warmed the isolate: retire it for a cold start.
    edge.node.runtime.retire(edge.node.registry.get('cold-then-warm').key);
    const cold = await reportOf();
    const warm = await reportOf();
    for (const r of [cold, warm]) {
      expect(r.durationMs).toBeTypeOf('number');
      expect(r.durationMs as number).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(r.billedDurationMs)).toBe(true);
      expect(r.billedDurationMs as number).toBeGreaterThanOrEqual(Math.max(1, Math.ceil(r.durationMs as number)) - 1);
      expect(r.memorySizeMb).toBe(256);
      expect(r.maxMemoryUsedMb as number).toBeGreaterThan(0);
      expect(r.maxMemoryUsedMb as number).toBeLessThanOrEqual(256);
      expect(r.msg).toContain('Billed Duration');
    }
    expect(cold.initDurationMs as number).toBeGreaterThan(0);
    expect(cold.msg).toContain('Init Duration');
    expect(warm).not.toHaveProperty('initDurationMs');
    expect(warm.msg).not.toContain('Init Duration');
  });

  test('a failed invocation still writes its START, END and REPORT', async () => {
    const res = await send(`${edge.url}/throws`);
    const id = requestIdOf(res);
    const types = await eventually(() => {
      const l = logsOf(edge, id).map((x) => x.type).filter((t) => ['START', 'END', 'REPORT'].includes(String(t)));
      return l.length === 3 ? l : undefined;
    });
    expect(types).toEqual(['START', 'END', 'REPORT']);
  });
});
