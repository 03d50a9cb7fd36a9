/**
 * `verge serve --control-plane URL --location NAME --state-dir DIR` as a user runs it: the supervisor
 * runs the edge agent and hands documents to its workers. The control plane is the fixture of the
 * edge API in test/helpers/revision-fixtures.ts (see there: the real one is built on another branch).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { eventually, send, startOrigin, type LogLine } from '../helpers/harness.ts';
import { association, revisionDoc, startFakeControlPlane, tagging, version } from '../helpers/revision-fixtures.ts';
import { configFile, runVerge, type VergeProcess } from '../helpers/verge-process.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serving(args: readonly string[]): Promise<VergeProcess & { url: string; stop(): Promise<number | null> }> {
  const run = runVerge(['serve', '--port', '0', ...args]);
  let exited = false;
  void run.exited.then(() => (exited = true));
  const stop = async () => {
    if (!exited) run.child.kill('SIGTERM');
    return (await run.exited).code;
  };
  cleanups.push(stop);
  const ready = await eventually(() => {
    if (exited) throw new Error(`verge serve exited: ${run.stderr()}`);
    return run.logs.find((l: LogLine) => l.type === 'workers-ready');
  }, 20_000);
  return { ...run, url: ready.url as string, stop };
}

const v1 = version('tag:1', tagging('one'));
const v2 = version('tag:2', tagging('two'));

test('verge serve follows its control plane with every worker, and restarted with the control plane down serves the saved revision', async () => {
  const cp = await startFakeControlPlane();
  const origin = await startOrigin();
  cleanups.push(() => origin.close());
  cp.addCode(v1.source);
  cp.addCode(v2.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const stateDir = mkdtempSync(join(tmpdir(), 'verge-state-'));
  const args = ['--control-plane', cp.url, '--location', 'fra-1', '--state-dir', stateDir, '--workers', '2'];
  const first = await serving(args);
  await eventually(() => first.logs.find((l) => l.type === 'revision-served' && l.generation === 1), 15_000);
  expect((await send(first.url)).headers['x-version']).toBe('one');
  expect(cp.registrations).toEqual(['fra-1']);

  cp.publish(revisionDoc(2, origin.url, [v2], { 'viewer-response': association('tag:2') }));
  await eventually(() => first.logs.find((l) => l.type === 'revision-served' && l.generation === 2), 15_000);
  expect(JSON.parse(readFileSync(join(stateDir, 'revision.json'), 'utf8')).generation).toBe(2);
  // Both workers switched: new connections (spread over the workers by the kernel) all see version two.
  const seen = await Promise.all(Array.from({ length: 20 }, () => send(first.url).then((r) => r.headers['x-version'])));
  expect(new Set(seen)).toEqual(new Set(['two']));
  expect(await first.stop()).toBe(0);

  await cp.close();
  const second = await serving(args);
  // Ready means serving the saved revision: the workers started with it.
  const res = await send(second.url);
  expect(res.status).toBe(200);
  expect(res.headers['x-version']).toBe('two');
  await eventually(() => second.logs.some((l) => l.type === 'control-plane-unreachable' && l.level === 'warn'), 10_000);
  expect(second.child.exitCode).toBeNull();
  expect((await send(second.url)).headers['x-version']).toBe('two');
}, 90_000);

test('one heartbeat for the whole node: the workers\' per-version health is added up', async () => {
  const cp = await startFakeControlPlane();
  const origin = await startOrigin();
  cleanups.push(() => origin.close(), () => cp.close());
  cp.addCode(v1.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const file = configFile(`
location: ams-2
origins: [{ id: bootstrap, url: ${origin.url} }]
behaviors: [{ pathPattern: '*', originId: bootstrap, cachePolicy: CachingDisabled }]
edge:
  controlPlaneUrl: ${cp.url}
  heartbeatIntervalMs: 1000
`);
  const node = await serving(['--config', file, '--workers', '2']);
  // Served once the agent says so: every worker has applied it by then.
  await eventually(() => node.logs.find((l) => l.type === 'revision-served' && l.generation === 1), 15_000);
  for (let i = 0; i < 30; i++) expect((await send(node.url)).headers['x-version']).toBe('one');
  const total = await eventually(() => {
    const sum = cp.heartbeats.flatMap((h) => h.health).filter((h) => h.key === 'tag:1').reduce((n, h) => n + h.requests, 0);
    return sum >= 30 ? sum : undefined;
  }, 10_000);
  expect(total).toBe(30);
  await new Promise((r) => setTimeout(r, 1_500));
  expect(cp.heartbeats.flatMap((h) => h.health).reduce((n, h) => n + h.requests, 0)).toBe(total);
  expect(cp.registrations).toEqual(['ams-2']);
  expect(cp.heartbeats.at(-1)).toMatchObject({ servingGeneration: 1, distributionId: 'EDGETEST' });
}, 60_000);

test('verge serve --location without --control-plane is refused with the option named', async () => {
  const file = configFile(`origins: [{ id: o, url: 'http://127.0.0.1:9' }]\nbehaviors: [{ pathPattern: '*', originId: o, cachePolicy: CachingDisabled }]\n`);
  const run = runVerge(['serve', '--location', 'fra-1', '--config', file]);
  const { code } = await run.exited;
  expect(code).toBe(1);
  expect(run.stderr()).toContain('--location: is for a node that follows a control plane: give --control-plane URL too');
});

test('verge serve --control-plane without a config file needs --location', async () => {
  const run = runVerge(['serve', '--control-plane', 'http://127.0.0.1:9']);
  const { code } = await run.exited;
  expect(code).toBe(1);
  expect(run.stderr()).toContain('--location: is required');
});

test('a node without a config file answers 503 VERGE_ERR_NO_REVISION until its control plane sends a revision', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'verge-state-'));
  // Port 9 (discard) refuses: the control plane is down from the start.
  const node = await serving(['--control-plane', 'http://127.0.0.1:9', '--location', 'lis-1', '--state-dir', stateDir, '--workers', '1']);
  const res = await send(node.url);
  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('1');
  expect(res.text).toContain('VERGE_ERR_NO_REVISION');
  expect(await node.stop()).toBe(0);
}, 30_000);
