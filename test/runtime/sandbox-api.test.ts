import { afterAll, describe, expect, test } from 'vitest';
import { createHandlerRunner } from '../helpers/run-handler.ts';

// Every global and module of the sandbox, present AND behaving, each through a real isolate: the
// expression runs inside an async Lambda@Edge handler and its value comes back as the response body.

const runner = createHandlerRunner();
afterAll(() => runner.close());

/** Runs `expr` (an async function body's return expression) in a fresh function; `preamble` goes at the top. */
const evaluate = (expr: string, preamble = '') =>
  runner.body(`${preamble}\nexports.handler = async () => { const value = await (async () => ${expr})(); return { status: '200', body: JSON.stringify(value === undefined ? null : value) }; };`);

const GLOBALS: [string, string, unknown][] = [
  ['console.log', `(console.log('hi'), typeof console.log)`, 'function'],
  ['setTimeout', `new Promise((r) => setTimeout((a, b) => r(a + b), 1, 'fi', 'red'))`, 'fired'],
  ['clearTimeout', `new Promise((r) => { const t = setTimeout(() => r('not cleared'), 1); clearTimeout(t); setTimeout(() => r('cleared'), 5); })`, 'cleared'],
  ['setInterval / clearInterval', `new Promise((r) => { let n = 0; const i = setInterval(() => { if (++n === 3) { clearInterval(i); setTimeout(() => r(n), 10); } }, 1); })`, 3],
  ['queueMicrotask', `new Promise((r) => { const seen = []; queueMicrotask(() => seen.push('micro')); seen.push('sync'); setTimeout(() => r(seen), 0); })`, ['sync', 'micro']],
  ['structuredClone', `(() => { const o = { d: new Date(0), m: new Map([[1, { x: 2 }]]), a: [1, 2] }; o.self = o; const c = structuredClone(o); return [c !== o, c.self === c, c.d.getTime(), c.m.get(1).x, c.m.get(1) !== o.m.get(1), c.a]; })()`, [true, true, 0, 2, true, [1, 2]]],
  ['structuredClone rejects functions', `(() => { try { structuredClone({ f() {} }); return 'cloned'; } catch (e) { return e.name; } })()`, 'DataCloneError'],
  ['TextEncoder / TextDecoder', `(() => { const b = new TextEncoder().encode('héllo €𝄞'); return [b.length, new TextDecoder().decode(b)]; })()`, [14, 'héllo €𝄞']],
  ['TextDecoder fatal', `(() => { try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); return 'decoded'; } catch (e) { return e.name; } })()`, 'TypeError'],
  ['atob / btoa', `[btoa('Man'), atob('TWE='), atob(' T W F u ')]`, ['TWFu', 'Ma', 'Man']],
  ['crypto.getRandomValues', `(() => { const a = crypto.getRandomValues(new Uint8Array(32)); return [a.length, a.some((x) => x !== 0)]; })()`, [32, true]],
  ['crypto.randomUUID', `/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())`, true],
  ['URL', `(() => { const u = new URL('/a/../b?x=1&x=2#h', 'https://user@EXAMPLE.com:443'); return [u.href, u.host, u.searchParams.getAll('x')]; })()`, ['https://user@example.com/b?x=1&x=2#h', 'example.com', ['1', '2']]],
  ['URL rejects an invalid URL', `(() => { try { new URL('http://exa mple.com'); return 'parsed'; } catch (e) { return e.name; } })()`, 'TypeError'],
  ['URL with an IDN host', `new URL('https://bücher.example/').host`, 'xn--bcher-kva.example'],
  // The URL Standard's host and query rules, including the two parts Verge swaps in (sandbox-units.ts):
  // IDNA by the host (punycode labels checked too) and UTF-8 percent-encoding of the query.
  ['URL host parsing', `['http://EXAMPLE.com./', 'http://0x7f.1/', 'http://[::1]:80/', 'https://xn--bcher-kva.example/'].map((u) => new URL(u).host)`, ['example.com.', '127.0.0.1', '[::1]', 'xn--bcher-kva.example']],
  ['URL rejects an invalid punycode label', `(() => { try { return new URL('https://xn--a.example/').host; } catch (e) { return e.name; } })()`, 'TypeError'],
  ['URL query encoding', `[new URL("https://a.example/?q=é 'x'").search, new URL("foo://a/?q=é 'x'").search]`, ['?q=%C3%A9%20%27x%27', "?q=%C3%A9%20'x'"]],
  ['URLSearchParams', `(() => { const p = new URLSearchParams('a=1&b=%20x'); p.append('c', 'é&'); p.sort(); return p.toString(); })()`, 'a=1&b=+x&c=%C3%A9%26'],
  ['Buffer', `[Buffer.from('hello').toString('base64url'), Buffer.from('aGk_Pg', 'base64url').toString(), Buffer.isBuffer(Buffer.alloc(1))]`, ['aGVsbG8', 'hi?>', true]],
];

const MODULES: [string, string, unknown, string?][] = [
  ['querystring.parse', `qs.parse('a=1&a=2&b=%20')`, { a: ['1', '2'], b: ' ' }, `const qs = require('querystring');`],
  ['querystring.stringify', `qs.stringify({ x: [1, 2], y: 'a b' })`, 'x=1&x=2&y=a%20b', `const qs = require('querystring');`],
  ['url.parse', `(() => { const u = url.parse('http://a.example:81/p/q?z=1#h', true); return [u.hostname, u.port, u.pathname, u.query, u.hash, u.path]; })()`, ['a.example', '81', '/p/q', { z: '1' }, '#h', '/p/q?z=1'], `const url = require('url');`],
  ['url.format / url.resolve / url.URL', `[url.format({ protocol: 'https', hostname: 'a.example', pathname: '/x', query: { q: 1 } }), url.resolve('http://a.example/one/two', '../three'), new url.URL('https://a.example').origin]`, ['https://a.example/x?q=1', 'http://a.example/three', 'https://a.example'], `const url = require('url');`],
  ['buffer', `[B.from('ff00', 'hex').toString('base64'), B.concat([B.from('a'), B.from('b')]).toString(), B === Buffer]`, ['/wA=', 'ab', true], `const { Buffer: B } = require('buffer');`],
  ['crypto.createHash', `[c.createHash('sha256').update('abc').digest('hex'), c.createHash('md5').update('a').update('b').digest('base64')]`, ['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'GH70Q2Ei0cwvQNwrkvDroA=='], `const c = require('crypto');`],
  ['crypto.createHmac (RFC 4231 test case 2)', `c.createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')`, '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', `const c = require('crypto');`],
  ['crypto.createHash rejects an unknown digest', `(() => { try { c.createHash('sha257'); return 'created'; } catch (e) { return e.message; } })()`, 'Digest method not supported: sha257', `const c = require('crypto');`],
  ['crypto.randomBytes / randomUUID', `[c.randomBytes(16).length, c.randomBytes(16).toString('hex') !== c.randomBytes(16).toString('hex'), c.randomUUID().length]`, [16, true, 36], `const c = require('crypto');`],
  ['crypto.timingSafeEqual', `[c.timingSafeEqual(Buffer.from('ab'), Buffer.from('ab')), c.timingSafeEqual(Buffer.from('ab'), Buffer.from('ac')), (() => { try { c.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { return e.code; } })()]`, [true, false, 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH'], `const c = require('crypto');`],
  ['zlib gzip / deflate / brotli round trips', `(() => { const s = 'hello '.repeat(100); return [z.gunzipSync(z.gzipSync(s)).toString() === s, z.inflateSync(z.deflateSync(s)).toString() === s, z.brotliDecompressSync(z.brotliCompressSync(s)).toString() === s, z.gzipSync(s).length < s.length, z.gzipSync(s).slice(0, 2).toString('hex')]; })()`, [true, true, true, true, '1f8b'], `const z = require('zlib');`],
  ['zlib callback form', `new Promise((r) => z.gzip('abc', (err, gz) => z.gunzip(gz, (err2, out) => r([err, err2, out.toString()]))))`, [null, null, 'abc'], `const z = require('zlib');`],
  ['zlib rejects corrupt input', `(() => { try { z.gunzipSync(Buffer.from('not gzip')); return 'inflated'; } catch (e) { return e.message; } })()`, 'incorrect header check', `const z = require('zlib');`],
  ['path', `[path.join('/a', 'b', '../c'), path.basename('/x/y.html', '.html'), path.extname('f.tar.gz'), path.resolve('/a', './b'), path.posix === path]`, ['/a/c', 'y', '.gz', '/a/b', true], `const path = require('path');`],
  ['util.format', `[util.format('%s=%d', 'a', 1), util.format('%j', { a: 1 }), util.format('x', 2, 'y'), util.format('%o%%', [1])]`, ['a=1', '{"a":1}', 'x 2 y', '[ 1 ]%'], `const util = require('util');`],
  ['util.inspect', `[util.inspect({ a: 1, b: 'x', c: [1, 2], d: { e: { f: { g: 1 } } } }), util.inspect(new Map([['k', 1]]))]`, ["{ a: 1, b: 'x', c: [ 1, 2 ], d: { e: { f: [Object] } } }", "Map(1) { 'k' => 1 }"], `const util = require('util');`],
  ['util.promisify', `util.promisify((a, cb) => setTimeout(() => cb(null, a * 2), 1))(21)`, 42, `const util = require('util');`],
  ['events.EventEmitter once', `(() => { const e = new EventEmitter(); const seen = []; e.once('x', (v) => seen.push(v)); e.emit('x', 1); e.emit('x', 2); return [seen, e.listenerCount('x')]; })()`, [[1], 0], `const EventEmitter = require('events');`],
  ['node: prefix', `[typeof require('node:crypto').createHash, require('node:path') === require('path')]`, ['function', true], `require('node:crypto'); require('path');`],
];

describe('globals', () => {
  test.each(GLOBALS)('%s', async (_name, expr, expected) => {
    expect(await evaluate(expr)).toEqual(expected);
  });
});

describe('modules (require)', () => {
  test.each(MODULES)('%s', async (_name, expr, expected, preamble) => {
    expect(await evaluate(expr, preamble)).toEqual(expected);
  });
});

describe('modules (import)', () => {
  test('default and named imports of sandbox modules in an ES module', async () => {
    const body = await runner.body(
      `import crypto, { createHmac } from 'crypto';
       import { gzipSync, gunzipSync } from 'node:zlib';
       import qs from 'querystring';
       import { EventEmitter } from 'events';
       import { Buffer } from 'buffer';
       export const handler = async () => ({ status: '200', body: JSON.stringify([
         createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('base64url'),
         crypto.createHmac === createHmac,
         gunzipSync(gzipSync('x')).toString(),
         qs.parse('a=1&a=2'),
         typeof EventEmitter,
         Buffer.from('x').toString('hex'),
         typeof globalThis.__vergeImport,
       ]) });`,
    );
    expect(body).toEqual(['W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM', true, 'x', { a: ['1', '2'] }, 'function', '78', 'undefined']);
  });

  test('an import of a module the sandbox lacks fails at load, naming it and the modules offered', async () => {
    const { result } = await runner.run(`import fs from 'node:fs';\nexport const handler = async () => ({ status: '200' });`);
    expect(result.ok).toBe(false);
    expect(!result.ok && 'code' in result.error && result.error.code).toBe('VERGE_ERR_FUNCTION_LOAD');
    expect(!result.ok && result.error.message).toContain("Cannot find module 'node:fs': the Verge sandbox offers querystring, url, buffer, crypto, zlib, path, util, events");
  });
});

describe('require of a missing module', () => {
  test.each([
    ['at the top level', `const http = require('http');\nexports.handler = async () => ({ status: '200' });`],
    ['inside the handler', `exports.handler = async () => { require('http'); return { status: '200' }; };`],
  ])('%s fails at load, naming it', async (_name, code) => {
    const { result } = await runner.run(code);
    expect(!result.ok && 'code' in result.error && result.error.code).toBe('VERGE_ERR_FUNCTION_LOAD');
    expect(!result.ok && result.error.message).toContain("Cannot find module 'http': the Verge sandbox offers querystring, url");
  });

  test('a require with a computed name fails when it runs, with the same message', async () => {
    const { result } = await runner.run(`exports.handler = async () => { const name = 'h' + 'ttp'; require(name); return { status: '200' }; };`);
    expect(!result.ok && 'code' in result.error && result.error.code).toBe('VERGE_ERR_FUNCTION_THREW');
    expect(!result.ok && result.error.message).toContain("Cannot find module 'http': the Verge sandbox offers querystring, url");
  });

  test('a require in a comment is not a dependency', async () => {
    expect(await evaluate(`'loaded'`, `// const fs = require('fs');`)).toBe('loaded');
  });
});
