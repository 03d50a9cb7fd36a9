import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, send, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, serve, type ServingVerge } from '../helpers/verge-process.ts';

// Invalidation through `verge serve` as users run it: a supervisor with two worker processes, each
// with its own cache (memory) or sharing one directory (disk), the admin API in the supervisor, and
// `verge invalidate` as a separate process. docs/cache.md, "Invalidation".

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const VERGE = join(ROOT, 'bin/verge.js');
const TOKEN = 'test-admin-token-0123456789';
// Requests on fresh connections, which the kernel spreads over the two workers by a hash of each
// connection: the chance that 24 of them all land on one worker is 2 in 2^24.
const SPREAD = 24;

let origin: TestOrigin;
/** Requests the origin received per path. */
const counts = new Map<string, number>();
const originHits = (path: string) => counts.get(path) ?? 0;
const running: ServingVerge[] = [];
const dirs: string[] = [];
let unique = 0;

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    counts.set(path, originHits(path) + 1);
    const headers: Record<string, string> = { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=600' };
    // /…/product-N.html carries the purge tag `product-N` (Cloudflare's header) and `catalog`
    // (Fastly's); other paths carry no tag.
    const product = /\/product-(\d+)\.html$/.exec(path);
    if (product !== null) {
      headers['Cache-Tag'] = `product-${product[1]}, catalog`;
      headers['Surrogate-Key'] = 'catalog';
    }
    res.writeHead(200, headers);
    res.end(`body of ${path}`);
  });
});
afterAll(async () => {
  for (const v of running) if (v.child.exitCode === null) v.child.kill('SIGKILL');
  await origin?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function vergeConfig(cache: string, admin = `{ listen: { host: 127.0.0.1, port: 0 }, token: ${TOKEN}, invalidationTimeoutMs: 1500 }`): string {
  // workerStallMs: one test stops a worker (SIGSTOP) for a few seconds; the watchdog must not kill it meanwhile.
  return configFile(`listen: { host: 127.0.0.1, port: 8080 }
workers: 2
workerStallMs: 60000
origins:
  - { id: site, url: "${origin.url}" }
behaviors:
  - { pathPattern: "*", originId: site }
cache: ${cache}
admin: ${admin}
`);
}

interface Node {
  readonly verge: ServingVerge;
  readonly adminUrl: string;
}

async function startNode(file: string, args: readonly string[] = []): Promise<Node> {
  const verge = await serve(file, args);
  running.push(verge);
  const line = await eventually(() => verge.logs.find((l) => l.type === 'admin-listening'), 5_000);
  return { verge, adminUrl: line.url as string };
}

/** A port nothing listens on (just freed). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A path under a fresh directory, so tests sharing a node never see each other's entries. */
const fresh = (name: string) => `/t${++unique}/${name}`;

/** SPREAD requests for `path`, one at a time, each on a new connection; their X-Cache values. */
async function spread(node: Node, path: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < SPREAD; i++) {
    const res = await send(node.verge.url + path);
    expect(res.status).toBe(200);
    seen.push(String(res.headers['x-cache']));
  }
  return seen;
}
const misses = (xCache: readonly string[]) => xCache.filter((v) => v === 'Miss from verge').length;

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `verge <args>` as its own process. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const child = spawn(NODE, [VERGE, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function post(node: Node, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }): Promise<Response> {
  return fetch(`${node.adminUrl}/v1/invalidations`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('verge serve, workers: 2, cache.store: memory (a cache per worker)', () => {
  let node: Node;
  beforeAll(async () => {
    node = await startNode(vergeConfig('{ store: memory }'));
  }, 30_000);

  test('verge invalidate with a trailing-* path purges the matching entries in both workers and nothing else', async () => {
    const a = fresh('images/a.png');
    const b = a.replace('a.png', 'b.png');
    const other = a.replace('images/a.png', 'index.html');
    for (const path of [a, b, other]) {
      // Each worker misses once and then hits: the origin sees the path once per worker.
      expect(misses(await spread(node, path))).toBe(2);
      expect(originHits(path)).toBe(2);
    }
    const prefix = a.replace('a.png', '*');
    const run = await cli(['invalidate', prefix, '--admin-url', node.adminUrl, '--token', TOKEN]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Two paths cached by each of two workers: 4 copies.
    expect(run.stdout).toMatch(/^Invalidation I[A-Z0-9]{13} Completed: 4 entries purged \(memory caches: counted per worker\); 2 of 2 worker\(s\) answered\n {2}paths: \/t\d+\/images\/\*\n$/);

    // Every worker misses again once for each purged path; the other path is still a hit everywhere.
    for (const path of [a, b]) {
      expect(misses(await spread(node, path))).toBe(2);
      expect(originHits(path)).toBe(4);
    }
    expect(misses(await spread(node, other))).toBe(0);
    expect(originHits(other)).toBe(2);
  });

  test('POST /v1/invalidations with a tag purges the tagged responses in both workers (Cache-Tag and Surrogate-Key)', async () => {
    const p42 = fresh('product-42.html');
    const p43 = p42.replace('42', '43');
    for (const path of [p42, p43]) expect(misses(await spread(node, path))).toBe(2);

    const res = await post(node, { tags: ['product-42'] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, any>;
    expect(res.headers.get('location')).toBe(`/v1/invalidations/${body.id}`);
    expect(body).toMatchObject({ status: 'Completed', paths: [], tags: ['product-42'], purged: 2, store: 'memory', workers: { total: 2, answered: 2 } });
    expect(body.id).toMatch(/^I[A-Z0-9]{13}$/);
    expect(Date.parse(body.createTime)).not.toBeNaN();
    expect(body.workers.results.map((r: { outcome: string; purged: number }) => [r.outcome, r.purged])).toEqual([['purged', 1], ['purged', 1]]);
    expect(misses(await spread(node, p42))).toBe(2);
    expect(misses(await spread(node, p43))).toBe(0);

    // `catalog` comes from both headers; it purges both products, in both workers.
    const run = await cli(['invalidate', '--tag', 'catalog', '--admin-url', node.adminUrl, '--json'], { VERGE_ADMIN_TOKEN: TOKEN });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Completed', tags: ['catalog'], purged: 4 });
    expect(misses(await spread(node, p42))).toBe(2);
    expect(misses(await spread(node, p43))).toBe(2);

    // The invalidations are kept: by id, and listed newest first.
    const one = await fetch(`${node.adminUrl}/v1/invalidations/${body.id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await one.json()).toEqual(body);
    const list = (await (await fetch(`${node.adminUrl}/v1/invalidations`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { items: { id: string }[] };
    expect(list.items[1]).toEqual({ id: body.id, status: 'Completed', createTime: body.createTime, purged: 2 });
  });

  test('a request without the token, or with another, is refused with VERGE_ERR_ADMIN_UNAUTHORIZED and purges nothing', async () => {
    const path = fresh('kept.html');
    expect(misses(await spread(node, path))).toBe(2);
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-token-at-all-000' }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const res = await post(node, { paths: [path] }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="verge-admin"');
      expect(await res.json()).toMatchObject({ code: 'VERGE_ERR_ADMIN_UNAUTHORIZED' });
    }
    const run = await cli(['invalidate', path, '--admin-url', node.adminUrl], { VERGE_ADMIN_TOKEN: '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^verge invalidate: 401 VERGE_ERR_ADMIN_UNAUTHORIZED: .*Bearer.*\(give the token with --token or VERGE_ADMIN_TOKEN\)\n$/);
    expect(misses(await spread(node, path))).toBe(0);
  });

  test('a bad request gets VERGE_ERR_ADMIN_BAD_REQUEST naming the rule, over HTTP and in verge invalidate', async () => {
    const res = await post(node, { paths: ['/a/*/b', 'images/x'], tags: ['two words'] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; issues: { path: string }[] };
    expect(body.code).toBe('VERGE_ERR_ADMIN_BAD_REQUEST');
    expect(body.issues.map((i) => i.path)).toEqual(['paths[0]', 'paths[1]', 'tags[0]']);
    expect(body.message).toContain('paths[0]: may contain "*" only as its last character');

    const run = await cli(['invalidate', '/a*b', '--admin-url', node.adminUrl, '--token', TOKEN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('verge invalidate: 400 VERGE_ERR_ADMIN_BAD_REQUEST: Invalid request: paths[0]: may contain "*" only as its last character (CloudFront\'s wildcard: /images/*)\n');
  });

  test('verge invalidate says so when the admin API cannot be reached, or is not the admin API', async () => {
    const closed = await freePort();
    const run = await cli(['invalidate', '/x', '--admin-url', `http://127.0.0.1:${closed}`, '--token', TOKEN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^verge invalidate: cannot reach the admin API at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)\\. Is \`verge serve\` running`));
    // The viewers' port answers with the origin's text, not the admin API's JSON.
    const wrong = await cli(['invalidate', '/x', '--admin-url', node.verge.url, '--token', TOKEN]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^verge invalidate: unexpected answer from .*\(is --admin-url the admin API's address, not the viewers' port\?\)\n$/);
  });

  // Last in this node: it stops a worker for a while.
  test('a worker that does not answer in time is reported, not waited for; its answer is collected later', async () => {
    const path = fresh('late.html');
    expect(misses(await spread(node, path))).toBe(2);
    const [stopped, other] = node.verge.pids as [number, number];
    process.kill(stopped, 'SIGSTOP');
    try {
      const started = performance.now();
      const res = await post(node, { paths: [path] });
      // invalidationTimeoutMs is 1500: the answer does not wait for the stopped worker.
      expect(performance.now() - started).toBeLessThan(8_000);
      expect(res.status).toBe(201);
      const body = (await res.json()) as Record<string, any>;
      expect(body).toMatchObject({ status: 'InProgress', purged: 1, workers: { total: 2, answered: 1 } });
      expect(body.workers.results).toEqual(expect.arrayContaining([{ pid: stopped, outcome: 'pending' }, { pid: other, outcome: 'purged', purged: 1 }]));
      expect(body).not.toHaveProperty('completeTime');
      // verge invalidate prints the same and exits 1: the invalidation has not completed.
      const run = await cli(['invalidate', path, '--admin-url', node.adminUrl, '--token', TOKEN]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(new RegExp(`InProgress: 0 entries purged .*; 1 of 2 worker\\(s\\) answered\n.*\n {2}worker ${stopped} has not answered yet\n$`));
      expect(run.stderr).toMatch(new RegExp(`^verge invalidate: not every worker answered in time \\(still waiting for pid ${stopped}\\); follow it with GET ${node.adminUrl}/v1/invalidations/I[A-Z0-9]{13}\n$`));
      process.kill(stopped, 'SIGCONT');
      const done = await eventually(async () => {
        const later = (await (await fetch(`${node.adminUrl}/v1/invalidations/${body.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as Record<string, any>;
        return later.status === 'Completed' && later;
      }, 5_000);
      expect(done).toMatchObject({ purged: 2, workers: { total: 2, answered: 2 } });
      expect(typeof done.completeTime).toBe('string');
      expect(misses(await spread(node, path))).toBe(2);
    } finally {
      process.kill(stopped, 'SIGCONT');
    }
  });
});

describe('verge serve, workers: 2, cache.store: disk (one directory shared by the workers)', () => {
  let dir: string;
  let file: string;
  let node: Node;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verge-inv-disk-'));
    dirs.push(dir);
    file = vergeConfig(`{ store: disk, dir: "${dir}" }`);
    node = await startNode(file);
  }, 30_000);

  test('the workers share each entry, and an invalidation counts it once', async () => {
    const a = fresh('images/a.png');
    const b = a.replace('a.png', 'b.png');
    for (const path of [a, b]) {
      // One worker stores it; the other finds it in the shared directory.
      expect(misses(await spread(node, path))).toBe(1);
      expect(originHits(path)).toBe(1);
    }
    const run = await cli(['invalidate', a.replace('a.png', '*'), '--admin-url', node.adminUrl, '--token', TOKEN]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Completed: 2 entries purged \(shared disk cache: each entry counted once\); 2 of 2 worker\(s\) answered\n/);
    for (const path of [a, b]) {
      expect(misses(await spread(node, path))).toBe(1);
      expect(originHits(path)).toBe(2);
    }

    const tagged = fresh('product-7.html');
    expect(misses(await spread(node, tagged))).toBe(1);
    const res = await post(node, { tags: ['product-7'] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({ status: 'Completed', purged: 1, store: 'disk', workers: { total: 2, answered: 2 } });
    // The first purge to reach the entry deleted it; the other worker found nothing left.
    expect(body.workers.results.map((r: { purged: number }) => r.purged).sort()).toEqual([0, 1]);
    expect(misses(await spread(node, tagged))).toBe(1);
  });

  test('entries survive a restart of verge serve: the first request after it is a hit', async () => {
    const path = fresh('survives.html');
    expect(misses(await spread(node, path))).toBe(1);
    expect(await node.verge.stop()).toBe(0);
    // The same port: the default cache policy keys on Host, which names it.
    node = await startNode(file, ['--port', new URL(node.verge.url).port]);
    const res = await send(node.verge.url + path);
    expect(res.status).toBe(200);
    expect(res.headers['x-cache']).toBe('Hit from verge');
    expect(res.text).toBe(`body of ${path}`);
    expect(originHits(path)).toBe(1);
    expect(await node.verge.stop()).toBe(0);
  }, 40_000);
});
