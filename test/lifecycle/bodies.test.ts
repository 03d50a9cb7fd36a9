import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fn, PASS_REQUEST, rawRequestHeaders } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// includeBody (CloudFront "Include body" on request triggers): the function sees the body in base64,
// at most 40 KB at viewer-request and 1 MB at origin-request, with `inputTruncated: true` when cut;
// the origin still receives the whole body unless the function replaces it (`action: 'replace'`).

const KB = 1024;
const MB = 1024 * KB;

let origin: TestOrigin;
let edge: TestEdge;

/** Reports what the event's body looked like in request headers, then lets the request continue. */
const REPORT_BODY = `exports.handler = async (event) => {
  const r = event.Records[0].cf.request;
  const b = r.body;
  const put = (name, value) => { r.headers[name] = [{ value: String(value) }]; };
  put('x-seen-has-body', b !== undefined);
  if (b) {
    put('x-seen-action', b.action);
    put('x-seen-encoding', b.encoding);
    put('x-seen-truncated', b.inputTruncated);
    put('x-seen-b64-length', b.data.length);
    put('x-seen-b64-head', b.data.slice(0, 64));
    put('x-seen-b64-tail', b.data.slice(-64));
  }
  return r;
};`;

function replaceWith(encoding: 'text' | 'base64', data: string): string {
  return `exports.handler = async (event) => {
    const r = event.Records[0].cf.request;
    r.body = { action: 'replace', encoding: '${encoding}', data: ${JSON.stringify(data)} };
    return r;
  };`;
}

const REPLACEMENT_TEXT = 'replaced ✓ body';
const REPLACEMENT_BYTES = Buffer.from([0, 1, 2, 250, 251, 252, 253, 254, 255]);

beforeAll(async () => {
  origin = await startOrigin((_req, res, body) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`origin got ${body.length} bytes`);
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn('report', REPORT_BODY),
      fn('replace-text', replaceWith('text', REPLACEMENT_TEXT)),
      fn('replace-base64', replaceWith('base64', REPLACEMENT_BYTES.toString('base64'))),
      fn('pass', PASS_REQUEST),
    ],
    behaviors: [
      { pathPattern: '/viewer/*', originId: 'o', functions: { 'viewer-request': { name: 'report', includeBody: true } } },
      { pathPattern: '/origin/*', originId: 'o', functions: { 'origin-request': { name: 'report', includeBody: true } } },
      { pathPattern: '/viewer-off/*', originId: 'o', functions: { 'viewer-request': { name: 'report' } } },
      { pathPattern: '/replace-viewer/*', originId: 'o', functions: { 'viewer-request': { name: 'replace-text', includeBody: true } } },
      { pathPattern: '/replace-origin/*', originId: 'o', functions: { 'origin-request': { name: 'replace-base64', includeBody: true } } },
      {
        pathPattern: '/replace-then-report/*',
        originId: 'o',
        functions: { 'viewer-request': { name: 'replace-text', includeBody: true }, 'origin-request': { name: 'report', includeBody: true } },
      },
      {
        pathPattern: '/replace-then-pass/*',
        originId: 'o',
        functions: { 'viewer-request': { name: 'replace-text', includeBody: true }, 'origin-request': { name: 'pass' } },
      },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

function seen(): Record<string, string> {
  const h = origin.seen.at(-1)!.headers;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k.startsWith('x-seen-')) out[k.slice(7)] = String(v);
  return out;
}

function expectBodySeen(data: Buffer, truncated: boolean): void {
  const b64 = data.toString('base64');
  expect(seen()).toEqual({
    'has-body': 'true',
    action: 'read-only',
    encoding: 'base64',
    truncated: String(truncated),
    'b64-length': String(b64.length),
    'b64-head': b64.slice(0, 64),
    'b64-tail': b64.slice(-64),
  });
}

describe('viewer-request with includeBody', () => {
  test('a body under 40 KB is passed whole, in base64, not truncated', async () => {
    const body = randomBytes(10 * KB);
    await send(`${edge.url}/viewer/a`, { method: 'POST', body });
    expectBodySeen(body, false);
    expect(origin.seen.at(-1)!.body.equals(body)).toBe(true);
  });

  test('a body of exactly 40 KB is not truncated', async () => {
    const body = randomBytes(40 * KB);
    await send(`${edge.url}/viewer/a`, { method: 'POST', body });
    expectBodySeen(body, false);
  });

  test('a body over 40 KB is cut to its first 40 KB with inputTruncated, while the origin receives all of it', async () => {
    const body = randomBytes(50 * KB);
    const res = await send(`${edge.url}/viewer/a`, { method: 'POST', body });
    expect(res.text).toBe(`origin got ${body.length} bytes`);
    expectBodySeen(body.subarray(0, 40 * KB), true);
    expect(origin.seen.at(-1)!.body.equals(body)).toBe(true);
  });

  test('a chunked body is buffered and reaches the origin whole with a Content-Length', async () => {
    const body = randomBytes(45 * KB);
    await send(`${edge.url}/viewer/a`, { method: 'POST', body, headers: rawRequestHeaders(edge.url, 'Transfer-Encoding', 'chunked') });
    expectBodySeen(body.subarray(0, 40 * KB), true);
    const got = origin.seen.at(-1)!;
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers['content-length']).toBe(String(body.length));
    expect(got.headers['transfer-encoding']).toBeUndefined();
  });

  test('a request without a body gets an empty body in the event and sends none to the origin', async () => {
    await send(`${edge.url}/viewer/a`);
    expectBodySeen(Buffer.alloc(0), false);
    expect(origin.seen.at(-1)!.body.length).toBe(0);
  });

  test('without includeBody the event has no body and the origin still receives it', async () => {
    const body = randomBytes(50 * KB);
    await send(`${edge.url}/viewer-off/a`, { method: 'POST', body });
    expect(seen()).toEqual({ 'has-body': 'false' });
    expect(origin.seen.at(-1)!.body.equals(body)).toBe(true);
  });
});

describe('origin-request with includeBody', () => {
  test('a body over 40 KB but under 1 MB is passed whole', async () => {
    const body = randomBytes(100 * KB);
    await send(`${edge.url}/origin/a`, { method: 'PUT', body });
    expectBodySeen(body, false);
  });

  test('a body over 1 MB is cut to its first 1 MB with inputTruncated, while the origin receives all of it', async () => {
    const body = randomBytes(MB + 300 * KB);
    const res = await send(`${edge.url}/origin/a`, { method: 'POST', body });
    expect(res.text).toBe(`origin got ${body.length} bytes`);
    expectBodySeen(body.subarray(0, MB), true);
    expect(origin.seen.at(-1)!.body.equals(body)).toBe(true);
  });
});

describe("action: 'replace'", () => {
  test('a text replacement at viewer-request is what the origin receives, with a correct Content-Length', async () => {
    const res = await send(`${edge.url}/replace-viewer/a`, { method: 'POST', body: randomBytes(50 * KB) });
    const got = origin.seen.at(-1)!;
    expect(got.body.toString()).toBe(REPLACEMENT_TEXT);
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(REPLACEMENT_TEXT)));
    expect(res.text).toBe(`origin got ${Buffer.byteLength(REPLACEMENT_TEXT)} bytes`);
  });

  test('a base64 replacement at origin-request is decoded and sent with a correct Content-Length', async () => {
    await send(`${edge.url}/replace-origin/a`, { method: 'POST', body: 'original body', headers: rawRequestHeaders(edge.url, 'Transfer-Encoding', 'chunked') });
    const got = origin.seen.at(-1)!;
    expect(got.body.equals(REPLACEMENT_BYTES)).toBe(true);
    expect(got.headers['content-length']).toBe(String(REPLACEMENT_BYTES.length));
  });

  test('a replacement at viewer-request is the body origin-request sees', async () => {
    await send(`${edge.url}/replace-then-report/a`, { method: 'POST', body: 'original body' });
    expectBodySeen(Buffer.from(REPLACEMENT_TEXT), false);
    expect(origin.seen.at(-1)!.body.toString()).toBe(REPLACEMENT_TEXT);
  });

  test('a replacement at viewer-request reaches the origin through an origin-request function without includeBody', async () => {
    await send(`${edge.url}/replace-then-pass/a`, { method: 'POST', body: 'original body' });
    const got = origin.seen.at(-1)!;
    expect(got.body.toString()).toBe(REPLACEMENT_TEXT);
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(REPLACEMENT_TEXT)));
  });
});
