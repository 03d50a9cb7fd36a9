import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, send, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, runVerge, serve, type ServingVerge, type VergeProcess } from '../helpers/verge-process.ts';

// Issue 5 §4: a control plane and three edge node processes (three locations) on 127.0.0.1, all
// real processes as users run them. A deploy reaches every location; a staged rollout of a good
// version completes wave by wave; a rollout of a version that throws is rolled back automatically
// after the canary wave, and the other locations never serve it.

const TOKEN = 'multi-location-test-token-0123456789';
const LOCATIONS = ['loc-a', 'loc-b', 'loc-c'] as const;
const tagging = (label: string) => `exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  response.headers['x-version'] = [{ key: 'X-Version', value: '${label}' }];
  return response;
};`;
const THROWS = `exports.handler = async () => { throw new Error('version three is broken'); };`;

let origin: TestOrigin;
let cp: VergeProcess;
let cpUrl: string;
const edges = new Map<string, ServingVerge>();
/** Each location's config file (with its state directory), to restart it. */
const configs = new Map<string, string>();

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(`${cpUrl}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), 'x-verge-actor': 'multi-location-test' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

const code = (source: string) => ({ fileName: 'index.js', base64: Buffer.from(source).toString('base64') });
const distribution = (version: number) => ({
  origins: [{ id: 'o', url: origin.url }],
  behaviors: [{ pathPattern: '*', originId: 'o', cachePolicy: 'CachingDisabled', functions: { 'viewer-response': { name: `tag:${version}` } } }],
});

interface Seen {
  readonly status: number;
  readonly version: string | undefined;
}

/** Requests every location in turn until stopped, recording what each served. */
function traffic(): { seen: Map<string, Seen[]>; stop: () => Promise<void> } {
  const seen = new Map<string, Seen[]>(LOCATIONS.map((l) => [l, []]));
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        LOCATIONS.map(async (l) => {
          const r = await send(edges.get(l)!.url);
          seen.get(l)!.push({ status: r.status, version: r.headers['x-version'] as string | undefined });
        }),
      );
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

/** `verge ARGS` against the control plane, as a process of its own (human output). */
function verge(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = join(import.meta.dirname, '..', '..');
  const child = spawn(join(root, 'node_modules/.bin/node'), [join(root, 'bin/verge.js'), ...args], { env: { ...process.env, VERGE_ADMIN_URL: cpUrl, VERGE_ADMIN_TOKEN: TOKEN } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const serving = async (expected: string) =>
  (await Promise.all(LOCATIONS.map(async (l) => (await send(edges.get(l)!.url)).headers['x-version']))).every((v) => v === expected);

beforeAll(async () => {
  origin = await startOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'verge-multi-'));
  const cpConfig = join(dir, 'control.yaml');
  writeFileSync(cpConfig, `controlPlane:\n  listen: { host: 127.0.0.1, port: 0 }\n  token: ${TOKEN}\n  store: { kind: sqlite, file: ./control.sqlite }\n`);
  cp = runVerge(['control-plane', '--config', cpConfig]);
  cpUrl = (await eventually(() => cp.logs.find((l) => l.type === 'control-plane-ready'), 15_000)).url as string;

  // Lambda's model: $LATEST updated and published three times; version 3 throws.
  await api('POST', '/v1/functions', { name: 'tag', code: code(tagging('one')), timeoutMs: 1000 });
  await api('POST', '/v1/functions/tag/versions', {});
  for (const source of [tagging('two'), THROWS]) {
    await request(`${cpUrl}/v1/functions/tag/code?fileName=index.js`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/javascript' }, body: source }).then((r) => r.body.text());
    await api('POST', '/v1/functions/tag/versions', {});
  }
  for (const v of [1, 2, 3]) await api('POST', '/v1/distributions/SITE/revisions', { config: distribution(v), comment: `tag:${v}` });

  await Promise.all(
    LOCATIONS.map(async (location) => {
      const file = configFile(`location: ${location}
workers: 1
edge: { controlPlaneUrl: "${cpUrl}", token: ${TOKEN}, stateDir: ${mkdtempSync(join(tmpdir(), `verge-${location}-`))}, heartbeatIntervalMs: 1000, pollWaitMs: 5000 }
origins: [{ id: o, url: "${origin.url}" }]
behaviors: [{ pathPattern: "*", originId: o, cachePolicy: CachingDisabled }]
`);
      configs.set(location, file);
      edges.set(location, await serve(file));
    }),
  );
  await eventually(async () => (await api<{ items: unknown[] }>('GET', '/v1/locations')).items.length === 3, 15_000);
}, 60_000);

afterAll(async () => {
  await Promise.all([...edges.values()].map((e) => e.stop()));
  if (cp?.child.exitCode === null) cp.child.kill('SIGTERM');
  await cp?.exited;
  await origin?.close();
});

describe('a control plane and three locations', () => {
  test('a deploy reaches every location (and how long that takes)', async () => {
    // Timed from the `verge deploy` command (a process of its own, as a user runs it) to every
    // location answering with the deployed version.
    const started = performance.now();
    const deployed = await verge('deploy', 'SITE', '--revision', '1');
    expect(deployed.code).toBe(0);
    const commandMs = performance.now() - started;
    await eventually(() => serving('one'), 10_000);
    const ms = performance.now() - started;
    console.log(`verge deploy to 3 locations serving: ${ms.toFixed(0)} ms (the command itself: ${commandMs.toFixed(0)} ms)`);
    expect(ms).toBeLessThan(10_000);
  }, 20_000);

  test('a staged rollout of a good version goes wave by wave and completes', async () => {
    const t = traffic();
    try {
      const d = await api<{ id: string }>('POST', '/v1/distributions/SITE/rollouts', {
        revision: 2,
        waves: [{ locations: ['loc-a'] }, { locations: ['loc-b', 'loc-c'] }],
        bakeMs: 2_000,
        gate: { minRequests: 5 },
      });
      const done = await eventually(async () => {
        const now = await api<{ status: string; events: { type: string }[] }>('GET', `/v1/deployments/${d.id}`);
        return now.status !== 'InProgress' && now;
      }, 40_000);
      expect(done.status).toBe('Succeeded');
      expect(done.events.map((e) => e.type)).toEqual(['created', 'wave-started', 'gate-passed', 'wave-started', 'gate-passed', 'succeeded']);
      expect(await serving('two')).toBe(true);
    } finally {
      await t.stop();
    }
    // Nothing failed on the way: every response was a 200 from version one or two.
    for (const l of LOCATIONS) for (const s of t.seen.get(l)!) expect([s.status, ['one', 'two'].includes(s.version!)]).toEqual([200, true]);
  }, 60_000);

  test('a rollout of a version that throws is rolled back after the canary wave; the other locations never serve it', async () => {
    const t = traffic();
    let done: { status: string; events: { type: string; message: string }[] };
    try {
      const d = await api<{ id: string }>('POST', '/v1/distributions/SITE/rollouts', {
        revision: 3,
        waves: [{ locations: ['loc-a'] }, { locations: ['loc-b', 'loc-c'] }],
        bakeMs: 30_000,
        gate: { minRequests: 5 },
      });
      done = await eventually(async () => {
        const now = await api<typeof done>('GET', `/v1/deployments/${d.id}`);
        return now.status !== 'InProgress' && now;
      }, 40_000);
      await eventually(() => serving('two'), 10_000);
    } finally {
      await t.stop();
    }
    expect(done.status).toBe('RolledBack');
    expect(done.events.at(-1)!.type).toBe('gate-failed');
    expect(done.events.at(-1)!.message).toMatch(/^wave 1 \(loc-a\): error rate/);
    // The canary location served errors from version three for a while, then version two again.
    expect(t.seen.get('loc-a')!.some((s) => s.status === 503)).toBe(true);
    // loc-b and loc-c never served it: every answer was version two's.
    for (const l of ['loc-b', 'loc-c']) for (const s of t.seen.get(l)!) expect([s.status, s.version]).toEqual([200, 'two']);
  }, 60_000);

  test('an invalidation through the control plane reaches every location with its next heartbeat', async () => {
    const created = await api<{ id: string; status: string; locations: Record<string, unknown> }>('POST', '/v1/invalidations', { paths: ['/*'], tags: ['product-42'] });
    expect(created.status).toBe('InProgress');
    expect(Object.keys(created.locations).sort()).toEqual([...LOCATIONS]);
    const done = await eventually(async () => {
      const now = await api<{ status: string; locations: Record<string, { purged: number } | 'pending'> }>('GET', `/v1/invalidations/${created.id}`);
      return now.status === 'Completed' && now;
    }, 15_000);
    for (const l of LOCATIONS) expect(done.locations[l]).toEqual({ purged: expect.any(Number) });
    // Each node logged it (stdout lines arrive a moment after the heartbeat that reported it).
    await eventually(() => LOCATIONS.every((l) => edges.get(l)!.logs.some((line) => line.type === 'invalidation-applied' && line.id === created.id)), 5_000);
  }, 30_000);

  test('verge rollout: status shows the history; a start the control plane refuses says why', async () => {
    const list = await api<{ items: { id: string; status: string }[] }>('GET', '/v1/distributions/SITE/deployments');
    const rolledBack = list.items.find((d) => d.status === 'RolledBack')!;
    const status = await verge('rollout', 'status', rolledBack.id);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^status:\s+RolledBack$/m);
    expect(status.stdout).toMatch(/gate-failed\s+rollout: wave 1 \(loc-a\): error rate/);
    // verge invoke NAME:QUALIFIER: a version of the control plane on a test event (the console's Test button).
    const eventFile = join(mkdtempSync(join(tmpdir(), 'verge-event-')), 'event.json');
    writeFileSync(eventFile, JSON.stringify({ Records: [{ cf: { config: { eventType: 'viewer-response' }, request: { uri: '/' }, response: { status: '200', headers: {} } } }] }));
    const good = await verge('invoke', 'tag:2', '--event', eventFile);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/^Version: 2$/m);
    expect(good.stdout).toMatch(/"value": "two"/);
    expect(good.stdout).toMatch(/REPORT RequestId: /);
    const bad = await verge('invoke', 'tag:3', '--event', eventFile);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^Failed: VERGE_ERR_FUNCTION_THREW: .*version three is broken/m);
    const refused = await verge('rollout', 'start', 'SITE', '--revision', '3', '--wave', 'loc-a', '--wave', 'mars');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/VERGE_ERR_ROLLOUT_INVALID.*location "mars" is not registered/);
  }, 30_000);

  test('under load, deploys switch versions with no failed request; p99 with and without switches', async () => {
    const url = edges.get('loc-b')!.url;
    const load = (durationS: number) => autocannon({ url, connections: 16, duration: durationS });
    const quiet = await load(3);
    const busy = load(4);
    // Four deploys while the load runs: revision 1, 2, 1, 2 to every location.
    for (const revision of [1, 2, 1, 2]) {
      await new Promise((r) => setTimeout(r, 600));
      await api('POST', '/v1/distributions/SITE/deployments', { revision });
    }
    const switching = await busy;
    console.log(`p99 without switches ${quiet.latency.p99} ms, with four deploys ${switching.latency.p99} ms (${switching.requests.total} requests)`);
    expect([switching.errors, switching.timeouts, switching.non2xx]).toEqual([0, 0, 0]);
    expect(switching.requests.total).toBeGreaterThan(100);
    await eventually(() => serving('two'), 10_000);
  }, 30_000);

  test('a location restarted while the control plane is down serves its last revision', async () => {
    cp.child.kill('SIGTERM');
    await cp.exited;
    expect(await edges.get('loc-c')!.stop()).toBe(0);
    const restarted = await serve(configs.get('loc-c')!);
    edges.set('loc-c', restarted);
    // Ready means serving the saved revision: the workers started with it.
    const restored = await eventually(() => restarted.logs.find((l) => l.type === 'revision-restored'), 5_000).catch(() => {
      throw new Error(`no revision-restored line: ${JSON.stringify(restarted.logs.filter((l) => l.type !== 'heartbeat-failed' && l.type !== 'control-plane-unreachable'))}`);
    });
    expect(restored.revision).toBe(2);
    const r = await send(restarted.url);
    expect([r.status, r.headers['x-version']]).toEqual([200, 'two']);
    await eventually(() => restarted.logs.some((l) => l.type === 'control-plane-unreachable'), 15_000);
  }, 40_000);
});
