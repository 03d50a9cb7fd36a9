import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// What one invocation may make the host do is bounded, and each bound is an error the function can
// catch: response bytes across all its fetches, crypto.subtle output lengths and calls at once, and
// zlib output. A function with memoryMb 128: response bodies up to 32 MB in total, zlib output up to 16 MB.

const MB = 1024 * 1024;
const BODY = Buffer.alloc(12 * MB, 0x61);
/** A 20 MB run of zeros gzipped (~20 KB): under the old 32 MB cap it inflated; the cap is 16 MB now. */
const BOMB = gzipSync(Buffer.alloc(20 * MB)).toString('base64');

let origin: TestOrigin;
let edge: TestEdge;

const FUNCTION = (originUrl: string) => `'use strict';
const zlib = require('zlib');
const caught = (p) => p.then(() => 'ok', (err) => err.name + ': ' + err.message);
const CASES = {
  async '/fetch-budget'() {
    const out = [];
    for (let i = 0; i < 3; i++) {
      out.push(await caught(fetch(${JSON.stringify(originUrl)} + '/12mb').then((r) => r.arrayBuffer())));
    }
    return out;
  },
  async '/derive'() {
    const subtle = crypto.subtle;
    const enc = new TextEncoder();
    const pbkdf2 = await subtle.importKey('raw', enc.encode('password'), 'PBKDF2', false, ['deriveBits', 'deriveKey']);
    const hkdf = await subtle.importKey('raw', enc.encode('secret'), 'HKDF', false, ['deriveBits']);
    const p = { name: 'PBKDF2', hash: 'SHA-256', salt: enc.encode('salt'), iterations: 1000 };
    const h = { name: 'HKDF', hash: 'SHA-256', salt: enc.encode('salt'), info: enc.encode('info') };
    return {
      small: (await subtle.deriveBits(p, pbkdf2, 256)).byteLength,
      pbkdf2Huge: await caught(subtle.deriveBits(p, pbkdf2, 1024 * 1024 * 8)),
      hkdfHuge: await caught(subtle.deriveBits(h, hkdf, 4104)),
      keyHuge: await caught(subtle.deriveKey(p, pbkdf2, { name: 'HMAC', hash: 'SHA-256', length: 65536 }, false, ['sign'])),
    };
  },
  async '/subtle-flood'() {
    const data = new TextEncoder().encode('x');
    const results = await Promise.all(Array.from({ length: 40 }, () => caught(crypto.subtle.digest('SHA-256', data))));
    return { ok: results.filter((r) => r === 'ok').length, refused: results.filter((r) => r !== 'ok') };
  },
  async '/zlib-bomb'() {
    try {
      zlib.gunzipSync(Buffer.from(${JSON.stringify(BOMB)}, 'base64'));
      return 'inflated';
    } catch (err) {
      return err.name + ': ' + err.message;
    }
  },
};
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const body = JSON.stringify(await CASES[request.uri]());
  return { status: '200', headers: { 'content-type': [{ key: 'Content-Type', value: 'application/json' }] }, body };
};
`;

beforeAll(async () => {
  origin = await startOrigin((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(BODY);
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'limits', code: functionFile(FUNCTION(origin.url)), memoryMb: 128, timeoutMs: 5000, maxSubrequests: 10 }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'limits' } } }],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

async function run(path: string): Promise<unknown> {
  const res = await send(`${edge.url}${path}`);
  expect([res.status, res.text.slice(0, 300)]).toEqual([200, expect.any(String)]);
  return JSON.parse(res.text);
}

test('response bodies count against one budget per invocation (a quarter of memoryMb), not per response', async () => {
  const [first, second, third] = (await run('/fetch-budget')) as string[];
  expect([first, second]).toEqual(['ok', 'ok']);
  expect(third).toMatch(/^TypeError: fetch: the response body of .* is larger than 33554432 bytes, .*in one invocation \(all fetches together/);
});

test('deriveBits and deriveKey output is capped at 512 bytes', async () => {
  const r = (await run('/derive')) as Record<string, unknown>;
  expect(r.small).toBe(32);
  expect(r.pbkdf2Huge).toBe('NotSupportedError: crypto.subtle: deriveBits of more than 4096 bits is not supported in Verge');
  expect(r.hkdfHuge).toBe('NotSupportedError: crypto.subtle: deriveBits of more than 4096 bits is not supported in Verge');
  expect(r.keyHuge).toBe('NotSupportedError: crypto.subtle: deriveKey of more than 4096 bits is not supported in Verge');
});

test('at most 16 crypto.subtle calls run at once per invocation; the rest fail with a clear error', async () => {
  const r = (await run('/subtle-flood')) as { ok: number; refused: string[] };
  expect(r.ok).toBe(16);
  expect(r.refused).toHaveLength(24);
  for (const m of r.refused) expect(m).toBe('OperationError: crypto.subtle: more than 16 operations running at once in one invocation; await some before starting more');
});

test('zlib output is capped at 16 MB whatever memoryMb', async () => {
  expect(await run('/zlib-bomb')).toMatch(/RangeError|larger than|Cannot create a Buffer/);
});
