import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { localCacheTarget } from '../../src/admin/cache-target.ts';
import { startAdminServer, type AdminServer } from '../../src/admin/admin-server.ts';
import { Invalidations } from '../../src/admin/invalidations.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// The admin API served for an in-process edge node (startEdgeNode, as embedding and tests use it):
// the same app `verge serve` runs in its supervisor, wired straight to the node's own cache.

const TOKEN = 'in-process-token-0123456789abcdef';
const quiet = createLogger({ level: 'silent' });

let origin: TestOrigin;
let edge: TestEdge;
/** No token: loopback Host names only. */
let open: AdminServer;
/** With TOKEN. */
let guarded: AdminServer;
let unique = 0;
const fresh = (name: string) => `/p${++unique}/${name}`;

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=600', 'Cache-Tag': 'all-pages' });
    res.end(`body of ${req.url}`);
  });
  edge = await startEdge({ origins: [{ id: 'o', url: origin.url }], behaviors: [{ pathPattern: '*', originId: 'o' }] });
  const targets = () => [localCacheTarget(edge.node.cache)];
  const listen = { host: '127.0.0.1', port: 0 };
  open = await startAdminServer({ admin: { listen, token: undefined, invalidationTimeoutMs: 2_000 }, targets, store: 'memory', logger: quiet });
  guarded = await startAdminServer({ admin: { listen, token: TOKEN, invalidationTimeoutMs: 2_000 }, targets, store: 'memory', logger: quiet });
});
afterAll(async () => {
  await open?.close();
  await guarded?.close();
  await edge?.close();
  await origin?.close();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/** One request to an admin server with node:http, so that Host and Origin can be set freely. */
function admin(server: AdminServer, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };
const invalidate = (body: unknown, server = open, headers: Record<string, string> = json) => admin(server, 'POST', '/v1/invalidations', { headers, body: JSON.stringify(body) });

async function cached(path: string): Promise<void> {
  expect((await send(edge.url + path)).headers['x-cache']).toBe('Miss from verge');
  expect((await send(edge.url + path)).headers['x-cache']).toBe('Hit from verge');
}

describe('POST /v1/invalidations for an in-process edge node', () => {
  test('purges the node\'s own cache by path and answers Completed with one worker: this process', async () => {
    const path = fresh('index.html');
    await cached(path);
    const res = await invalidate({ paths: [path, path] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'Completed',
      paths: [path], // each path once
      tags: [],
      purged: 1,
      store: 'memory',
      workers: { total: 1, answered: 1, results: [{ pid: process.pid, outcome: 'purged', purged: 1 }] },
    });
    expect((await send(edge.url + path)).headers['x-cache']).toBe('Miss from verge');
  });

  test('`/*` purges everything, a tag what carries it', async () => {
    const a = fresh('a');
    const b = fresh('b');
    await cached(a);
    await cached(b);
    expect((await invalidate({ tags: ['all-pages'] })).body).toMatchObject({ status: 'Completed', tags: ['all-pages'] });
    expect((await send(edge.url + a)).headers['x-cache']).toBe('Miss from verge');
    expect((await invalidate({ paths: ['/*'] })).body.purged).toBeGreaterThanOrEqual(1);
    expect((await send(edge.url + a)).headers['x-cache']).toBe('Miss from verge');
    expect((await send(edge.url + b)).headers['x-cache']).toBe('Miss from verge');
  });

  // CloudFront's rules for invalidation paths, and sane tags.
  test.each([
    ['no leading slash', { paths: ['images/*'] }, 'paths[0]', 'must start with "/"'],
    ['a * before the end', { paths: ['/images/*.jpg'] }, 'paths[0]', 'may contain "*" only as its last character'],
    ['two *', { paths: ['/a**'] }, 'paths[0]', 'may contain "*" only as its last character'],
    ['a query string', { paths: ['/a.jpg?v=2'] }, 'paths[0]', 'must not contain "?" or "#"'],
    ['a space', { paths: ['/two words'] }, 'paths[0]', 'percent-encode the others'],
    ['non-ASCII', { paths: ['/café'] }, 'paths[0]', 'percent-encode the others'],
    ['a path over 4000 characters', { paths: [`/${'x'.repeat(4000)}`] }, 'paths[0]', 'at most 4000 characters'],
    ['3001 paths', { paths: Array.from({ length: 3001 }, (_, i) => `/f${i}`) }, 'paths', 'at most 3000 paths'],
    ['a path that is not a string', { paths: [42] }, 'paths[0]', 'must be a string'],
    ['paths not an array', { paths: '/index.html' }, 'paths', 'must be an array of strings'],
    ['a tag with a comma', { tags: ['a,b'] }, 'tags[0]', 'no spaces or commas'],
    ['a tag with a space', { tags: ['two words'] }, 'tags[0]', 'no spaces or commas'],
    ['an empty tag', { tags: [''] }, 'tags[0]', 'must be 1-1024 characters'],
    ['a tag over 1024 characters', { tags: ['t'.repeat(1025)] }, 'tags[0]', 'must be 1-1024 characters'],
    ['no path or tag', {}, '', 'give at least one path or tag'],
    ['empty lists', { paths: [], tags: [] }, '', 'give at least one path or tag'],
    ['an unknown field', { paths: ['/a'], callerReference: 'x' }, '', 'unknown field; allowed: paths, tags'],
    ['an array body', ['/a'], '', 'must be a JSON object'],
  ])('%s is refused with VERGE_ERR_ADMIN_BAD_REQUEST at %j', async (_label, body, path, message) => {
    const res = await invalidate(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VERGE_ERR_ADMIN_BAD_REQUEST');
    expect(res.body.issues[0].path).toBe(path);
    expect(res.body.issues[0].message).toContain(message);
    expect(res.body.message).toContain(message);
  });

  test('3000 paths are accepted', async () => {
    const res = await invalidate({ paths: Array.from({ length: 3000 }, (_, i) => `/many/${i}`) });
    expect(res.status).toBe(201);
    expect(res.body.paths).toHaveLength(3000);
  });

  test('a body that is not JSON, or not sent as JSON, or too large, is refused', async () => {
    const notJson = await admin(open, 'POST', '/v1/invalidations', { headers: json, body: '{"paths": [' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ code: 'VERGE_ERR_ADMIN_BAD_REQUEST' });
    expect(notJson.body.message).toMatch(/^The body is not valid JSON: /);

    // A text/plain POST is what a web page can send anywhere without a CORS preflight.
    const plain = await admin(open, 'POST', '/v1/invalidations', { headers: { 'content-type': 'text/plain' }, body: '{"paths":["/*"]}' });
    expect(plain.status).toBe(400);
    expect(plain.body.message).toBe('The body must be JSON, sent with Content-Type: application/json (got "text/plain")');

    const big = await admin(open, 'POST', '/v1/invalidations', { headers: json, body: JSON.stringify({ paths: ['/x'], pad: 'x'.repeat(1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(big.body).toEqual({ code: 'VERGE_ERR_ADMIN_PAYLOAD_TOO_LARGE', message: 'The request body is larger than 1048576 bytes' });
  });
});

describe('who may use the admin API', () => {
  test('without a token, only requests addressed to a loopback host name are answered (no DNS rebinding)', async () => {
    const port = new URL(open.url).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST']) {
      expect((await admin(open, 'GET', '/v1/invalidations', { headers: { host } })).status).toBe(200);
    }
    for (const host of [`attacker.example:${port}`, `10.0.0.1:${port}`, `127.0.0.1.attacker.example:${port}`]) {
      const res = await admin(open, 'GET', '/v1/invalidations', { headers: { host } });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('VERGE_ERR_ADMIN_FORBIDDEN');
    }
    const fromPage = await invalidate({ paths: ['/*'] }, open, { ...json, origin: 'http://attacker.example' });
    expect(fromPage.status).toBe(403);
    expect(fromPage.body.message).toContain('Origin: http://attacker.example');
    expect((await invalidate({ paths: ['/x'] }, open, { ...json, origin: `http://localhost:${port}` })).status).toBe(201);
  });

  test('with a token, every /v1 route but health needs it, compared whole', async () => {
    expect(await admin(guarded, 'GET', '/v1/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${TOKEN} extra`, TOKEN, 'Bearer']) {
      const headers: Record<string, string> = authorization === undefined ? json : { ...json, authorization };
      const res = await invalidate({ paths: ['/*'] }, guarded, headers);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('VERGE_ERR_ADMIN_UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="verge-admin"');
      expect((await admin(guarded, 'GET', '/v1/invalidations', { headers })).status).toBe(401);
    }
    const ok = await invalidate({ paths: ['/x'] }, guarded, { ...json, authorization: `bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    // A token also lets the API be reached by any host name (the operator chose to expose it).
    expect((await admin(guarded, 'GET', `/v1/invalidations/${ok.body.id}`, { headers: { authorization: `Bearer ${TOKEN}`, host: 'edge-1.internal' } })).status).toBe(200);
  });

  test('unknown routes and ids are VERGE_ERR_ADMIN_NOT_FOUND', async () => {
    for (const path of ['/v1/invalidations/I2J0I21PCUYOIK', '/v1/invalidations/nope', '/v1/nothing', '/']) {
      const res = await admin(open, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('VERGE_ERR_ADMIN_NOT_FOUND');
    }
    expect((await admin(open, 'DELETE', '/v1/invalidations')).status).toBe(404);
  });
});

describe('a cache store that fails the purge', () => {
  let dir: string;
  let diskEdge: TestEdge;
  let server: AdminServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-admin-disk-'));
    diskEdge = await startEdge({ origins: [{ id: 'o', url: origin.url }], behaviors: [{ pathPattern: '*', originId: 'o' }], cache: { store: 'disk', dir } });
    server = await startAdminServer({ admin: { listen: { host: '127.0.0.1', port: 0 }, token: undefined, invalidationTimeoutMs: 2_000 }, targets: () => [localCacheTarget(diskEdge.node.cache)], store: 'disk', logger: quiet });
  });
  afterAll(async () => {
    await server?.close();
    await diskEdge?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('makes the invalidation Failed, answered 503 VERGE_ERR_CACHE_STORE, never a success', async () => {
    await diskEdge.node.cache.store.close();
    const res = await invalidate({ paths: ['/*'] }, server);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('VERGE_ERR_CACHE_STORE');
    expect(res.body.message).toMatch(/^Invalidation I[A-Z0-9]{13} failed: The disk cache in .* is closed$/);
    expect(res.body.invalidation).toMatchObject({ status: 'Failed', purged: 0, store: 'disk', workers: { total: 1, answered: 1, results: [{ outcome: 'failed', code: 'VERGE_ERR_CACHE_STORE' }] } });
    // Kept and listed as Failed.
    expect((await admin(server, 'GET', `/v1/invalidations/${res.body.invalidation.id}`)).body.status).toBe('Failed');
  });
});

describe('Invalidations', () => {
  test('keeps the most recent ones, newest first, and forgets the oldest', async () => {
    const invalidations = new Invalidations({ targets: () => [localCacheTarget(edge.node.cache)], store: 'memory', timeoutMs: 1_000, logger: quiet, maxKept: 3 });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await invalidations.create({ paths: [`/gone/${i}`], tags: [] }));
    expect(invalidations.list().map((s) => s.id)).toEqual([made[4]!.id, made[3]!.id, made[2]!.id]);
    expect(invalidations.get(made[0]!.id)).toBeUndefined();
    expect(invalidations.get(made[4]!.id)).toEqual(made[4]);
  });

  test('with no worker to ask: memory caches are trivially purged, a shared disk cache is not', async () => {
    const memory = new Invalidations({ targets: () => [], store: 'memory', timeoutMs: 1_000, logger: quiet });
    expect(await memory.create({ paths: ['/*'], tags: [] })).toMatchObject({ status: 'Completed', purged: 0, workers: { total: 0, answered: 0 } });
    const disk = new Invalidations({ targets: () => [], store: 'disk', timeoutMs: 1_000, logger: quiet });
    expect(await disk.create({ paths: ['/*'], tags: [] })).toMatchObject({ status: 'Failed', workers: { total: 0 } });
  });
});
