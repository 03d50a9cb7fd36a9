import { randomBytes, createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { fn } from '../helpers/cf-fixtures.ts';

// The HTTP cache through real HTTP: RFC 9111 freshness, validation and variants, the viewer's own
// conditionals and ranges, stale serving, collapsing, invalidation, compression and CloudFront's
// rules for which hooks run on hits and misses (docs/cache.md).

const BIG = randomBytes(3 * 1024 * 1024);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const TEXT = 'x'.repeat(5_000);

type Route = (req: IncomingMessage, res: ServerResponse, n: number) => void;
const routes = new Map<string, Route>();
const counts = new Map<string, number>();
let originDown = false;

let origin: TestOrigin;
let edge: TestEdge;
let cleanup = (): void => undefined;

/** Requests the origin received for a path (query string ignored). */
const hits = (path: string) => counts.get(path) ?? 0;
let unique = 0;
/** A fresh path per test so tests never see each other's entries. */
const path = (name: string) => `/t${++unique}/${name}`;

function route(p: string, handler: Route): string {
  routes.set(p, handler);
  return p;
}

const get = (p: string, headers: Record<string, string> = {}, method = 'GET') => send(edge.url + p, { method, headers });

// Every case runs against both stores: what the store contract promises must also hold through HTTP.
describe.each(['memory', 'disk'] as const)('with the %s store', (store) => {
  beforeAll(async () => {
    origin = await startOrigin((req, res) => {
      const p = (req.url ?? '/').split('?')[0]!;
      const n = (counts.get(p) ?? 0) + 1;
      counts.set(p, n);
      if (originDown && p.includes('/sie')) {
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        res.end('origin down');
        return;
      }
      const handler = routes.get(p);
      if (handler === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('no route');
        return;
      }
      handler(req, res, n);
    });
    const vrLog = `exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-vr'] = [{ key: 'X-VR', value: 'ran' }]; return r; };`;
    const orTag = `exports.handler = async (e) => { const r = e.Records[0].cf.request; if (r.uri.endsWith('/generated')) return { status: '200', headers: { 'cache-control': [{ value: 'max-age=60' }] }, body: 'generated at origin-request' }; return r; };`;
    const oresp = `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-origin-response'] = [{ key: 'X-Origin-Response', value: 'stored' }]; if (e.Records[0].cf.request.uri.endsWith('/throws')) throw new Error('boom'); return r; };`;
    const vresp = `let n = 0; exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-viewer-response'] = [{ key: 'X-Viewer-Response', value: String(++n) }]; return r; };`;
    const dir = mkdtempSync(join(tmpdir(), 'verge-cache-'));
    cleanup = () => rmSync(dir, { recursive: true, force: true });
    edge = await startEdge({
      cache: store === 'disk' ? { store, dir } : { store },
      origins: [{ id: 'o', url: origin.url }],
      functions: [fn('vr', vrLog), fn('or', orTag), fn('oresp', oresp), fn('vresp', vresp)],
      behaviors: [
        { pathPattern: '/hooks/*', originId: 'o', functions: { 'viewer-request': { name: 'vr' }, 'origin-request': { name: 'or' }, 'origin-response': { name: 'oresp' }, 'viewer-response': { name: 'vresp' } } },
        { pathPattern: '/optimized/*', originId: 'o', cachePolicy: 'CachingOptimized', compress: true },
        { pathPattern: '/disabled/*', originId: 'o', cachePolicy: 'CachingDisabled' },
        { pathPattern: '/keyed/*', originId: 'o', cachePolicy: { defaultTtlS: 60, queryStrings: { behavior: 'whitelist', items: ['page'] }, cookies: { behavior: 'whitelist', items: ['lang'] }, headers: { behavior: 'whitelist', items: ['X-Tenant'] } } },
        { pathPattern: '*', originId: 'o' },
      ],
    });
  });

  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    cleanup();
  });

  const maxAge = (seconds: number, extra: Record<string, string> = {}, body = 'cached body'): Route => (_req, res, n) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': `max-age=${seconds}`, 'X-Origin-Count': String(n), ...extra });
    res.end(body);
  };

  describe('freshness (RFC 9111 §4.2)', () => {
    test('a response with max-age is stored: the second request is a hit with Age, x-cache and Cache-Status', async () => {
      const p = route(path('fresh'), maxAge(60));
      const first = await get(p);
      expect(first.headers['x-cache']).toBe('Miss from verge');
      expect(first.headers['cache-status']).toBe('Verge; fwd=uri-miss; fwd-status=200; stored');
      const second = await get(p);
      expect(second.text).toBe('cached body');
      expect(second.headers['x-cache']).toBe('Hit from verge');
      expect(second.headers['cache-status']).toMatch(/^Verge; hit; ttl=(59|60)$/);
      expect(second.headers['x-origin-count']).toBe('1');
      expect(second.headers.age).toMatch(/^[01]$/);
      expect(hits(p)).toBe(1);
    });

    test('without explicit freshness the default policy stores nothing (UseOriginCacheControlHeaders: DefaultTTL 0)', async () => {
      const p = route(path('plain'), (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('plain');
      });
      await get(p);
      const second = await get(p);
      expect(second.headers['x-cache']).toBe('Miss from verge');
      expect(second.headers.age).toBe('0');
      expect(hits(p)).toBe(2);
    });

    test('CachingOptimized applies DefaultTTL (one day) to a response without Cache-Control', async () => {
      const p = route(`/optimized${path('default-ttl')}`, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('default ttl');
      });
      await get(p);
      const second = await get(p);
      expect(second.headers['x-cache']).toBe('Hit from verge');
      // ttl is DefaultTTL minus the entry's age, which is whole seconds and may already be 1
      // when the second request lands on the next second (the same allowance as the test above).
      expect(second.headers['cache-status']).toMatch(/^Verge; hit; ttl=(86399|86400)$/);
    });

    test('CachingDisabled never stores', async () => {
      const p = route(`/disabled${path('off')}`, maxAge(60));
      await get(p);
      const second = await get(p);
      expect(second.headers['x-cache']).toBe('Miss from verge');
      expect(second.headers['cache-status']).toBe('Verge; fwd=bypass; fwd-status=200');
      expect(hits(p)).toBe(2);
    });

    test('CDN-Cache-Control takes precedence over Cache-Control and is not forwarded to viewers (RFC 9213)', async () => {
      const p = route(path('cdn-cc'), (_req, res) => {
        res.writeHead(200, { 'Cache-Control': 'no-store', 'CDN-Cache-Control': 'max-age=60', 'Surrogate-Control': 'max-age=5' });
        res.end('cdn');
      });
      await get(p);
      const second = await get(p);
      expect(second.headers['x-cache']).toBe('Hit from verge');
      expect(second.headers['cdn-cache-control']).toBeUndefined();
      expect(second.headers['surrogate-control']).toBeUndefined();
      expect(second.headers['cache-control']).toBe('no-store');
    });

    test('an invalid Expires means already stale: nothing is served from the cache without revalidation', async () => {
      const p = route(path('bad-expires'), (_req, res) => {
        res.writeHead(200, { Expires: 'soon', 'Content-Type': 'text/plain' });
        res.end('bad expires');
      });
      await get(p);
      await get(p);
      expect(hits(p)).toBe(2);
    });
  });

  describe('validation (RFC 9111 §4.3)', () => {
    test('a stale entry is revalidated: the origin sees If-None-Match, its 304 merges headers and the viewer gets a 200 RefreshHit', async () => {
      const p = route(path('revalidate'), (req, res, n) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { ETag: '"v1"', 'Cache-Control': 'max-age=0', 'X-Refreshed': String(n) });
          res.end();
          return;
        }
        res.writeHead(200, { ETag: '"v1"', 'Cache-Control': 'max-age=0', 'Content-Type': 'text/plain' });
        res.end('validated body');
      });
      await get(p);
      const second = await get(p);
      expect(second.status).toBe(200);
      expect(second.text).toBe('validated body');
      expect(second.headers['x-cache']).toBe('RefreshHit from verge');
      expect(second.headers['x-refreshed']).toBe('2');
      expect(second.headers['cache-status']).toMatch(/^Verge; fwd=stale; fwd-status=304/);
      const seen = origin.seen.filter((r) => r.url === p);
      expect(seen[1]!.headers['if-none-match']).toBe('"v1"');
    });

    test("the viewer's If-None-Match is answered with 304 from the cache, and the origin never sees it", async () => {
      const p = route(path('inm'), maxAge(60, { ETag: '"abc"' }));
      await get(p);
      const cond = await get(p, { 'If-None-Match': 'W/"abc"' });
      expect(cond.status).toBe(304);
      expect(cond.body.length).toBe(0);
      expect(cond.headers.etag).toBe('"abc"');
      const other = await get(p, { 'If-None-Match': '"other"' });
      expect(other.status).toBe(200);
      expect(hits(p)).toBe(1);
    });

    test("a viewer's conditional miss fetches the full response for the cache and still answers 304", async () => {
      const p = route(path('inm-miss'), maxAge(60, { ETag: '"m"' }));
      const cond = await get(p, { 'If-None-Match': '"m"' });
      expect(cond.status).toBe(304);
      expect(origin.seen.find((r) => r.url === p)!.headers['if-none-match']).toBeUndefined();
      const full = await get(p);
      expect(full.headers['x-cache']).toBe('Hit from verge');
      expect(full.text).toBe('cached body');
    });

    test('If-Modified-Since is answered from the stored Last-Modified', async () => {
      const p = route(path('ims'), maxAge(60, { 'Last-Modified': 'Mon, 02 Jan 2023 00:00:00 GMT' }));
      await get(p);
      expect((await get(p, { 'If-Modified-Since': 'Tue, 03 Jan 2023 00:00:00 GMT' })).status).toBe(304);
      expect((await get(p, { 'If-Modified-Since': 'Sun, 01 Jan 2023 00:00:00 GMT' })).status).toBe(200);
    });
  });

  describe('HEAD, ranges and variants', () => {
    test('HEAD is answered from a stored GET, with its Content-Length and no body', async () => {
      const p = route(path('head'), maxAge(60));
      await get(p);
      const head = await get(p, {}, 'HEAD');
      expect(head.headers['x-cache']).toBe('Hit from verge');
      expect(head.headers['content-length']).toBe(String('cached body'.length));
      expect(head.body.length).toBe(0);
      expect(hits(p)).toBe(1);
    });

    test('a single byte range is served as 206 from the stored body; past the end is 416', async () => {
      const p = route(path('range'), maxAge(60, {}, '0123456789'));
      await get(p);
      const part = await get(p, { Range: 'bytes=2-5' });
      expect(part.status).toBe(206);
      expect(part.text).toBe('2345');
      expect(part.headers['content-range']).toBe('bytes 2-5/10');
      const suffix = await get(p, { Range: 'bytes=-3' });
      expect(suffix.text).toBe('789');
      const past = await get(p, { Range: 'bytes=20-' });
      expect(past.status).toBe(416);
      expect(past.headers['content-range']).toBe('bytes */10');
      expect(hits(p)).toBe(1);
    });

    test('Vary keeps one variant per Accept-Language', async () => {
      const p = route(path('vary'), (req, res) => {
        res.writeHead(200, { 'Cache-Control': 'max-age=60', Vary: 'Accept-Language' });
        res.end(`lang=${req.headers['accept-language']}`);
      });
      expect((await get(p, { 'Accept-Language': 'en' })).text).toBe('lang=en');
      expect((await get(p, { 'Accept-Language': 'fr' })).text).toBe('lang=fr');
      const en = await get(p, { 'Accept-Language': 'en' });
      const fr = await get(p, { 'Accept-Language': 'fr' });
      expect([en.text, en.headers['x-cache']]).toEqual(['lang=en', 'Hit from verge']);
      expect([fr.text, fr.headers['x-cache']]).toEqual(['lang=fr', 'Hit from verge']);
      expect(hits(p)).toBe(2);
    });

    test('a 3 MB body is stored while it streams and served whole from the cache', async () => {
      const p = route(path('big'), (_req, res) => {
        res.writeHead(200, { 'Cache-Control': 'max-age=60', 'Content-Type': 'application/octet-stream', 'Content-Length': BIG.length });
        res.end(BIG);
      });
      expect(sha((await get(p)).body)).toBe(sha(BIG));
      await eventually(async () => (await get(p)).headers['x-cache'] === 'Hit from verge');
      const hit = await get(p);
      expect(hit.headers['content-length']).toBe(String(BIG.length));
      expect(sha(hit.body)).toBe(sha(BIG));
    });
  });

  describe('interim responses', () => {
    test('103 Early Hints from the origin reach the viewer before the response and are never stored', async () => {
      const p = route(path('early-hints'), (_req, res) => {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        setTimeout(() => {
          res.writeHead(200, { 'Cache-Control': 'max-age=60' });
          res.end('after hints');
        }, 20);
      });
      const withHints = (): Promise<{ hints: string[]; xCache: string; body: string }> =>
        new Promise((resolve, reject) => {
          const hints: string[] = [];
          const req = httpRequest(edge.url + p, { agent: false }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ hints, xCache: String(res.headers['x-cache']), body }));
          });
          req.on('information', (info) => hints.push(`${info.statusCode} ${String(info.headers.link)}`));
          req.on('error', reject);
          req.end();
        });
      const first = await withHints();
      expect(first).toEqual({ hints: ['103 </style.css>; rel=preload; as=style'], xCache: 'Miss from verge', body: 'after hints' });
      const second = await withHints();
      expect(second).toEqual({ hints: [], xCache: 'Hit from verge', body: 'after hints' });
    });
  });

  describe('cache policies: the key', () => {
    test('only the allow-listed query string, cookie and header are in the key', async () => {
      const p = route(`/keyed${path('key')}`, (req, res, n) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end(`n=${n} url=${req.url}`);
      });
      const a = await get(`${p}?page=1&utm=x`, { Cookie: 'lang=en; session=1', 'X-Tenant': 'a' });
      // Other query strings, cookies and headers do not make another entry.
      const b = await get(`${p}?utm=y&page=1`, { Cookie: 'session=2; lang=en', 'X-Tenant': 'a', 'X-Other': '1' });
      expect(b.text).toBe(a.text);
      expect(b.headers['x-cache']).toBe('Hit from verge');
      for (const [query, headers] of [
        ['?page=2', { Cookie: 'lang=en', 'X-Tenant': 'a' }],
        ['?page=1', { Cookie: 'lang=fr', 'X-Tenant': 'a' }],
        ['?page=1', { Cookie: 'lang=en', 'X-Tenant': 'b' }],
      ] as const) {
        expect((await get(p + query, headers)).headers['x-cache']).toBe('Miss from verge');
      }
    });

    test('query strings are in the default key', async () => {
      const p = route(path('qs'), (req, res) => {
        res.writeHead(200, { 'Cache-Control': 'max-age=60' });
        res.end(req.url);
      });
      expect((await get(`${p}?a=1`)).text).toBe(`${p}?a=1`);
      expect((await get(`${p}?a=2`)).text).toBe(`${p}?a=2`);
    });
  });

  describe('compression (CloudFront "Compress objects automatically")', () => {
    test('gzip and br variants are made, stored and served by Accept-Encoding; identity stays plain', async () => {
      const p = route(`/optimized${path('compress')}`, (req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': TEXT.length, ETag: '"t"' });
        res.end(TEXT);
      });
      const br = await get(p, { 'Accept-Encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(br.body).toString()).toBe(TEXT);
      expect(br.headers.etag).toBe('W/"t"');
      const gz = await get(p, { 'Accept-Encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gunzipSync(gz.body).toString()).toBe(TEXT);
      const plain = await get(p);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.text).toBe(TEXT);
      const brHit = await get(p, { 'Accept-Encoding': 'br' });
      expect(brHit.headers['x-cache']).toBe('Hit from verge');
      expect(brotliDecompressSync(brHit.body).toString()).toBe(TEXT);
      expect(Number(brHit.headers['content-length'])).toBe(brHit.body.length);
      // The origin was asked with the normalised Accept-Encoding (CloudFront forwards it that way).
      expect(origin.seen.filter((r) => r.url === p).map((r) => r.headers['accept-encoding'] ?? 'none')).toEqual(['br, gzip', 'gzip', 'none']);
    });
  });

  describe('stale content', () => {
    test('stale-if-error: an origin 5xx gets the stale response instead', async () => {
      const p = route(path('sie'), maxAge(0, { 'Cache-Control': 'max-age=0, stale-if-error=60' }, 'still good'));
      await get(p);
      originDown = true;
      try {
        const stale = await get(p);
        expect(stale.status).toBe(200);
        expect(stale.text).toBe('still good');
        expect(stale.headers['cache-status']).toMatch(/fwd=stale; fwd-status=503.*detail=stale-if-error/);
      } finally {
        originDown = false;
      }
    });

    test('an origin that cannot be reached gets the stale response, unless it said must-revalidate (RFC 9111 §4.2.4)', async () => {
      let drop = false;
      const handler = (cc: string): Route => (req, res) => {
        if (drop) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'Cache-Control': cc });
        res.end('was fresh');
      };
      const lenient = route(path('grace'), handler('max-age=1'));
      const strict = route(path('strict'), handler('max-age=1, must-revalidate'));
      await get(lenient);
      await get(strict);
      await new Promise((r) => setTimeout(r, 2_100));
      drop = true;
      const stale = await get(lenient);
      expect([stale.status, stale.text]).toEqual([200, 'was fresh']);
      expect(stale.headers['cache-status']).toMatch(/fwd=stale.*detail=origin-unreachable/);
      expect((await get(strict)).status).toBe(502);
    });

    test('stale-while-revalidate: the stale response is served at once and refreshed in the background', async () => {
      const p = route(path('swr'), (_req, res, n) => {
        res.writeHead(200, { 'Cache-Control': 'max-age=0, stale-while-revalidate=60' });
        res.end(`version ${n}`);
      });
      await get(p);
      const stale = await get(p);
      expect(stale.text).toBe('version 1');
      expect(stale.headers['cache-status']).toMatch(/hit.*detail=stale-while-revalidate/);
      await eventually(() => hits(p) === 2);
      await eventually(async () => (await get(p)).text === 'version 2');
    });
  });

  describe('collapsing', () => {
    test('concurrent misses for one key make one origin request', async () => {
      const p = route(path('collapse'), (_req, res) => {
        setTimeout(() => {
          res.writeHead(200, { 'Cache-Control': 'max-age=60' });
          res.end('collapsed');
        }, 200);
      });
      const all = await Promise.all(Array.from({ length: 8 }, () => get(p)));
      expect(all.map((r) => r.text)).toEqual(Array(8).fill('collapsed'));
      expect(hits(p)).toBe(1);
      expect(all.filter((r) => /collapsed/.test(String(r.headers['cache-status'])))).toHaveLength(7);
    });

    test('an uncacheable response does not make the others wait in line: they go to the origin together', async () => {
      let inFlight = 0;
      let most = 0;
      const p = route(path('no-collapse'), (_req, res) => {
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'Cache-Control': 'private' });
          res.end('private');
        }, 150);
      });
      await get(p);
      most = 0;
      await Promise.all(Array.from({ length: 4 }, () => get(p)));
      expect(hits(p)).toBe(5);
      // All four at the origin at once, rather than one after another behind a collapsed fetch.
      expect(most).toBe(4);
    });
  });

  describe('invalidation', () => {
    test('paths (exact and trailing *) and tags from Cache-Tag / Surrogate-Key', async () => {
      const base = path('inv');
      const a = route(`${base}/a`, maxAge(60, { 'Cache-Tag': 'red,blue' }));
      const b = route(`${base}/sub/b`, maxAge(60, { 'Surrogate-Key': 'green blue' }));
      const c = route(`${base}/c`, maxAge(60, { 'Cache-Tag': 'yellow' }));
      for (const p of [a, b, c]) await get(p);
      expect(await edge.node.cache.invalidate({ tags: ['green'] })).toBe(1);
      expect((await get(b)).headers['x-cache']).toBe('Miss from verge');
      expect(await edge.node.cache.invalidate({ paths: [`${base}/*`] })).toBe(3);
      expect((await get(a)).headers['x-cache']).toBe('Miss from verge');
      expect((await get(c)).headers['x-cache']).toBe('Miss from verge');
      expect(await edge.node.cache.invalidate({ paths: [c] })).toBe(1);
    });

    test('a successful POST invalidates the stored response for its URI (RFC 9111 §4.4)', async () => {
      const p = route(path('unsafe'), (req, res) => {
        res.writeHead(200, req.method === 'POST' ? {} : { 'Cache-Control': 'max-age=60' });
        res.end(req.method);
      });
      await get(p);
      expect((await get(p)).headers['x-cache']).toBe('Hit from verge');
      const post = await send(edge.url + p, { method: 'POST', body: 'x' });
      expect(post.headers['cache-status']).toBe('Verge; fwd=method; fwd-status=200');
      expect((await get(p)).headers['x-cache']).toBe('Miss from verge');
    });
  });

  describe("hooks around the cache (CloudFront's rules)", () => {
    test('viewer hooks run on hits; origin hooks only on the miss; the origin-response output is what is stored', async () => {
      const p = route(`/hooks${path('h')}`, maxAge(60));
      const miss = await get(p);
      const hit = await get(p);
      expect(hit.headers['x-cache']).toBe('Hit from verge');
      expect(hit.headers['x-origin-response']).toBe('stored');
      expect(Number(hit.headers['x-viewer-response'])).toBe(Number(miss.headers['x-viewer-response']) + 1);
      expect(origin.seen.filter((r) => r.url === p)).toHaveLength(1);
      expect(origin.seen.find((r) => r.url === p)!.headers['x-vr']).toBe('ran');
    });

    test('a response generated at origin-request is cached', async () => {
      const p = `/hooks${path('generated')}`;
      const first = await get(p);
      expect(first.text).toBe('generated at origin-request');
      expect(first.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
      const second = await get(p);
      expect(second.headers['x-cache']).toBe('Hit from verge');
      expect(second.text).toBe('generated at origin-request');
    });

    test('a function error is never cached', async () => {
      const p = route(`/hooks${path('throws')}`, maxAge(60));
      expect((await get(p)).status).toBe(503);
      expect((await get(p)).status).toBe(503);
      expect(hits(p)).toBe(2);
    });
  });
});
