import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { jsonAnswer } from '../helpers/json-answer.ts';
import { casesFunction, esmFunction, hangFunction, limitedFunction, slowFunction } from './fetch-functions.ts';

let origin: TestOrigin;
let edge: TestEdge;
let counted = 0;
let hangsClosed = 0;
/** /hang requests the origin holds open right now. */
let hangsOpen = 0;

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const MB = 1024 * 1024;

beforeAll(async () => {
  origin = await startOrigin((req, res, body) => {
    const path = req.url ?? '';
    if (path === '/json') {
      res.setHeader('Set-Cookie', ['a=1; Path=/', 'b=2']);
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'X-Origin': 'yes' });
      res.end(JSON.stringify({ hello: 'wörld', fromFunction: req.headers['x-from-function'] ?? null }));
    } else if (path === '/echo') {
      res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream', 'X-Length': String(body.length), 'X-Type': String(req.headers['content-type']) });
      res.end(body);
    } else if (path === '/binary') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(BINARY);
    } else if (path === '/redirect') {
      res.writeHead(302, { Location: '/json' });
      res.end();
    } else if (path === '/hang') {
      hangsOpen++;
      res.on('close', () => {
        hangsClosed++;
        hangsOpen--;
      });
    } else if (path === '/count') {
      counted++;
      res.end('ok');
    } else if (path === '/large') {
      // Chunked, no content-length: the cap must hold while streaming, not only on a declared size.
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.on('error', () => {});
      const chunk = Buffer.alloc(MB, 1);
      for (let i = 0; i < 33; i++) res.write(chunk);
      res.end();
    } else {
      res.end('hello from origin');
    }
  });
  const url = origin.url;
  edge = await startEdge({
    origins: [{ id: 'o', url }],
    functions: [
      { name: 'cases', code: functionFile(casesFunction(url)), timeoutMs: 3000 },
      { name: 'hang', code: functionFile(hangFunction(url)), timeoutMs: 500 },
      { name: 'slow', code: functionFile(slowFunction(url)), timeoutMs: 3000 },
      { name: 'limited', code: functionFile(limitedFunction(url)), timeoutMs: 3000, maxSubrequests: 2 },
      { name: 'esm', code: functionFile(esmFunction(url), '.mjs'), timeoutMs: 3000 },
      // /globals replaces a global: its own function, so no other case shares that isolate.
      { name: 'globals', code: functionFile(casesFunction(url)), timeoutMs: 3000 },
    ],
    behaviors: [
      { pathPattern: '/timeout/*', originId: 'o', functions: { 'viewer-request': { name: 'hang' } } },
      { pathPattern: '/slow', originId: 'o', functions: { 'viewer-request': { name: 'slow' } } },
      { pathPattern: '/limited', originId: 'o', functions: { 'viewer-request': { name: 'limited' } } },
      { pathPattern: '/esm', originId: 'o', functions: { 'viewer-request': { name: 'esm' } } },
      { pathPattern: '/globals', originId: 'o', functions: { 'viewer-request': { name: 'globals' } } },
      { pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'cases' } } },
    ],
  });
});
afterAll(async () => {
  await edge.close();
  await origin.close();
});

const run = (path: string) => jsonAnswer(edge, path);

test('fetch GETs JSON from an origin, with headers both ways and every Set-Cookie kept apart', async () => {
  const r = await run('/get-json');
  expect(r).toEqual({
    status: 200,
    ok: true,
    statusText: 'OK',
    body: { hello: 'wörld', fromFunction: 'yes' },
    type: 'application/json; charset=utf-8',
    origin: 'yes',
    cookies: ['a=1; Path=/', 'b=2'],
    url: `${origin.url}/json`,
    redirected: false,
    bodyUsed: true,
  });
  const seen = origin.seen.find((s) => s.url === '/json')!;
  expect(seen.headers.accept).toBe('application/json');
});

test('fetch POSTs a string body as UTF-8 and sends repeated headers', async () => {
  const r = await run('/post-echo');
  expect(r).toEqual({ status: 200, echoed: 'héllo ✓', len: String(Buffer.byteLength('héllo ✓')) });
  const seen = origin.seen.filter((s) => s.url === '/echo').at(-1)!;
  expect(seen.method).toBe('POST');
  expect(seen.headers['x-custom']).toBe('a, b');
  expect(seen.headers['content-type']).toBe('text/plain;charset=UTF-8');
});

test('a method given in lowercase is normalised and an explicit content-type wins', async () => {
  const r = await run('/post-json');
  expect(r).toEqual({ echoed: { n: 1 }, type: 'application/json' });
  expect(origin.seen.filter((s) => s.url === '/echo').at(-1)!.method).toBe('PUT');
});

test('binary bodies cross both ways byte for byte', async () => {
  const r = await run('/binary');
  const sent = Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i));
  expect(r.echoed).toBe(sent.toString('hex'));
  expect(r.fetched).toBe(BINARY.toString('hex'));
  expect(r.size).toBe(256);
  expect(origin.seen.filter((s) => s.url === '/echo').some((s) => s.body.equals(sent))).toBe(true);
});

test('redirects are followed by default, returned as-is with redirect: manual, refused with redirect: error', async () => {
  expect(await run('/redirect-follow')).toEqual({ status: 200, redirected: true, url: `${origin.url}/json`, body: { hello: 'wörld', fromFunction: null } });
  expect(await run('/redirect-manual')).toEqual({ status: 302, location: '/json', redirected: false });
  expect(await run('/redirect-error')).toEqual({ rejected: true, name: 'TypeError' });
});

test('an AbortController fired by a timer rejects the fetch with an AbortError and ends the host request', async () => {
  const before = hangsClosed;
  const r = await run('/abort');
  expect(r).toMatchObject({ rejected: true, name: 'AbortError', aborted: true });
  expect(r.waitedMs).toBeLessThan(2000);
  await eventually(() => hangsClosed > before);
  expect(await run('/abort-timeout')).toEqual({ rejected: true, name: 'TimeoutError' });
});

test('the 51st subrequest of one invocation rejects with a TypeError the function can catch', async () => {
  const before = counted;
  const r = await run('/limit');
  expect(r.fulfilled).toBe(50);
  expect(r.errors).toEqual([expect.stringMatching(/^TypeError: fetch: too many subrequests \(this function may make at most 50 per invocation/)]);
  expect(counted - before).toBe(50);
  await eventually(() => edge.logs.find((l) => l.type === 'function-log' && l.level === 'warn' && /too many subrequests/.test(String(l.msg))));
  // The count is per invocation: the next one may fetch again.
  expect((await run('/limit')).fulfilled).toBe(50);
});

test('functions[].maxSubrequests sets the limit per function', async () => {
  expect(await run('/limited')).toEqual({ results: ['ok', 'ok', 'TypeError'] });
});

test('a network error rejects like undici: TypeError "fetch failed" with a cause', async () => {
  expect(await run('/network-error')).toEqual({ rejected: true, isTypeError: true, message: 'fetch failed', hasCause: true });
  expect(await run('/bad-url')).toEqual({ rejected: true, isTypeError: true });
});

test('an uncaught fetch failure is VERGE_ERR_FUNCTION_THREW', async () => {
  const res = await send(`${edge.url}/uncaught`);
  expect(res.status).toBe(503);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_THREW');
  const id = res.headers['x-verge-request-id'];
  const logged = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === id));
  expect(logged.msg).toBe('TypeError: fetch failed');
});

test('a response body larger than a quarter of memoryMb is refused with a clear error', async () => {
  const r = await run('/too-large');
  expect(r).toMatchObject({ rejected: true, isTypeError: true });
  expect(r.message).toMatch(/larger than 33554432 bytes, the most a function with this memoryMb may read/);
});

test('a fetch that hangs past timeoutMs ends in VERGE_ERR_FUNCTION_TIMEOUT, and the next request runs on a fresh isolate', async () => {
  const before = hangsClosed;
  const started = performance.now();
  const res = await send(`${edge.url}/timeout/hang`);
  expect(res.status).toBe(503);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_TIMEOUT');
  expect(performance.now() - started).toBeLessThan(3000);
  // The deadline aborted the host's request too.
  await eventually(() => hangsClosed > before);
  const next = await send(`${edge.url}/timeout/fine`);
  expect(next.status).toBe(200);
  expect(JSON.parse(next.text)).toEqual({ fine: true, uri: '/timeout/fine' });
  const report = await eventually(() => edge.logs.find((l) => l.type === 'REPORT' && l.requestId === next.headers['x-verge-request-id']));
  expect(report.initDurationMs).toEqual(expect.any(Number));
});

test('a version too slow for the sync slice fetches from the thread pool, and its abandoned sync attempt sent nothing', async () => {
  const before = origin.seen.filter((s) => s.url === '/json').length;
  const first = await run('/slow');
  expect(first).toEqual({ body: { hello: 'wörld', fromFunction: null }, digestBytes: 20 });
  // The sync attempt was cut at the slice before its fetch left the isolate: one request reached the origin.
  expect(origin.seen.filter((s) => s.url === '/json').length - before).toBe(1);
  expect(await run('/slow')).toEqual(first);
});

test('Headers, Request and Response follow the Fetch Standard', async () => {
  const r = await run('/api');
  expect(r).toEqual({
    get: '1, 2',
    has: true,
    entries: [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-a', '1, 2']],
    seen: ['content-type=text/plain', 'set-cookie=a=1', 'set-cookie=b=2', 'x-a=1, 2'],
    setCookie: ['a=1', 'b=2'],
    status: 201,
    ok: true,
    type: 'application/json',
    y: 'z',
    text: '{"a":1}',
    reread: 'TypeError',
    cloneJson: { a: 1 },
    bodyUsed: true,
    redirect: [301, 'https://example.com/next'],
    req: ['DELETE', 'https://example.com/a?b=1', 'x', 'follow', false],
    copy: ['PATCH', 'https://example.com/a?b=1', 'x'],
    empty: '',
    bytes: [1, 2, 3],
    badStatus: 'RangeError',
    getBody: 'TypeError',
    tags: ['[object Headers]', '[object Response]', '[object AbortSignal]'],
  });
});

test('the globals are made on first use, stay replaceable, and expose nothing of the host', async () => {
  expect(await run('/globals')).toEqual({
    headers: 'mine',
    fetchType: 'function',
    enumerable: [],
    ownNames: [true, true, true],
    sameClass: true,
    leaks: [],
    ivm: 'undefined',
  });
});

test('an ES module handler fetches the same way', async () => {
  expect(await run('/esm')).toEqual({ hello: 'wörld', module: 'undefined' });
});

test('a fetch the function never awaited is aborted when the invocation ends and never settles in the next one', async () => {
  expect(await run('/forget')).toEqual({ returned: true });
  // Started and aborted at once: the origin may never have seen it, but holds nothing open.
  await new Promise((r) => setTimeout(r, 50));
  await eventually(() => hangsOpen === 0);
  expect(await run('/after-forget')).toEqual({ state: 'pending', json: { hello: 'wörld', fromFunction: null } });
});
