/**
 * The edge agent against the control plane's edge API. The control plane here is the fixture in
 * test/helpers/revision-fixtures.ts: a stand-in for the wire contract only (the real edge API is
 * built on another branch); these tests move to the real control plane when both are merged.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { nodeRevisionTarget } from '../../src/control/apply-revision.ts';
import { startEdgeAgent, type EdgeAgent } from '../../src/control/edge-agent.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEdgeNode, type EdgeNode } from '../../src/proxy/edge-node.ts';
import { eventually, logCapture, send, startOrigin, type LogLine, type TestOrigin } from '../helpers/harness.ts';
import { association, revisionDoc, startFakeControlPlane, tagging, version, type FakeControlPlane } from '../helpers/revision-fixtures.ts';

const listen = { host: '127.0.0.1', port: 0 };
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  readonly node: EdgeNode;
  readonly agent: EdgeAgent;
  readonly logs: LogLine[];
}

async function startNode(controlPlaneUrl: string, stateDir: string, options: { heartbeatIntervalMs?: number } = {}): Promise<Running> {
  const { logs, stream } = logCapture();
  const logger = createLogger({ level: 'info', stream });
  const node = await startEdgeNode({ listen, location: 'test-loc' }, { logger });
  const agent = await startEdgeAgent({
    location: 'test-loc',
    controlPlaneUrl,
    token: 'edge-secret',
    stateDir,
    target: nodeRevisionTarget(node, { listen, location: 'test-loc' }),
    logger,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 60_000,
    pollWaitMs: 1_000,
    minBackoffMs: 20,
    maxBackoffMs: 200,
  });
  const running = { node, agent, logs };
  cleanups.push(async () => {
    await agent.stop();
    await node.close(1_000);
  });
  return running;
}

async function setup(): Promise<{ cp: FakeControlPlane; origin: TestOrigin; stateDir: string }> {
  const cp = await startFakeControlPlane();
  const origin = await startOrigin();
  cleanups.push(() => origin.close(), () => cp.close());
  return { cp, origin, stateDir: mkdtempSync(join(tmpdir(), 'verge-state-')) };
}

const v1 = version('tag:1', tagging('one'));
const v2 = version('tag:2', tagging('two'));

test('the agent registers, applies each generation it long-polls, saves it, and heartbeats per-version health', async () => {
  const { cp, origin, stateDir } = await setup();
  cp.addCode(v1.source);
  cp.addCode(v2.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const { node, agent } = await startNode(cp.url, stateDir);
  await agent.waitForGeneration(1);
  expect(cp.registrations).toEqual(['test-loc']);
  expect(cp.tokens.every((t) => t === 'Bearer edge-secret')).toBe(true);
  expect((await send(node.url)).headers['x-version']).toBe('one');

  cp.publish(revisionDoc(2, origin.url, [v2], { 'viewer-response': association('tag:2') }));
  await agent.waitForGeneration(2);
  for (let i = 0; i < 5; i++) expect((await send(node.url)).headers['x-version']).toBe('two');

  // Saved after it applied: the document and only the code it needs.
  expect(JSON.parse(readFileSync(join(stateDir, 'revision.json'), 'utf8')).generation).toBe(2);
  expect(readdirSync(join(stateDir, 'code'))).toEqual([v2.code.sha256]);

  await agent.heartbeat();
  const beat = cp.heartbeats.at(-1)!;
  expect(beat).toMatchObject({ distributionId: 'EDGETEST', servingRevision: 2, servingGeneration: 2 });
  const health = Object.fromEntries(beat.health.map((h) => [h.key, h]));
  expect(health['tag:2']).toMatchObject({ requests: 5, errors: 0 });
  expect(health['tag:2']!.p99Ms).toBeGreaterThan(0);
  expect(health['tag:1']).toMatchObject({ requests: 1, errors: 0 });
  // The next beat covers only what happened since.
  await agent.heartbeat();
  expect(cp.heartbeats.at(-1)!.health).toEqual([]);
});

test('a function error counts against its version in the heartbeat', async () => {
  const { cp, origin, stateDir } = await setup();
  const thrower = version('boom:1', 'exports.handler = async () => { throw new Error("boom"); };');
  cp.addCode(thrower.source);
  cp.publish(revisionDoc(1, origin.url, [thrower], { 'viewer-request': association('boom:1') }));
  const { node, agent } = await startNode(cp.url, stateDir);
  await agent.waitForGeneration(1);
  expect((await send(node.url)).status).toBe(503);
  expect((await send(node.url)).status).toBe(503);
  await agent.heartbeat();
  expect(cp.heartbeats.at(-1)!.health).toEqual([expect.objectContaining({ key: 'boom:1', requests: 2, errors: 2 })]);
});

test('code whose bytes do not match its sha256 is refused (VERGE_ERR_CODE_INTEGRITY) and the node keeps its revision', async () => {
  const { cp, origin, stateDir } = await setup();
  cp.addCode(v1.source);
  cp.addCode(v2.source, tagging('tampered'));
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const { node, agent, logs } = await startNode(cp.url, stateDir);
  await agent.waitForGeneration(1);
  cp.publish(revisionDoc(2, origin.url, [v2], { 'viewer-response': association('tag:2') }));
  const rejected = await eventually(() => logs.find((l) => l.type === 'revision-rejected'), 5_000);
  expect(rejected).toMatchObject({ level: 'error', code: 'VERGE_ERR_CODE_INTEGRITY', generation: 2, servingGeneration: 1, expected: v2.code.sha256 });
  expect((await send(node.url)).headers['x-version']).toBe('one');
  expect(agent.serving()?.generation).toBe(1);
  // Reported: the heartbeat sent at once still says generation 1.
  await eventually(() => cp.heartbeats.length > 0, 5_000);
  expect(cp.heartbeats.at(-1)).toMatchObject({ servingGeneration: 1 });
  // Nothing of the tampered download was kept.
  expect(readdirSync(join(stateDir, 'code'))).toEqual([v1.code.sha256]);
});

test('a revision whose function does not load leaves the old revision serving and is reported (VERGE_ERR_REVISION_APPLY)', async () => {
  const { cp, origin, stateDir } = await setup();
  const broken = version('tag:3', 'throw new Error("top level fails"); exports.handler = async (e) => e.Records[0].cf.response;');
  cp.addCode(v1.source);
  cp.addCode(broken.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const { node, agent, logs } = await startNode(cp.url, stateDir);
  await agent.waitForGeneration(1);
  cp.publish(revisionDoc(2, origin.url, [broken], { 'viewer-response': association('tag:3') }));
  const rejected = await eventually(() => logs.find((l) => l.type === 'revision-rejected'), 5_000);
  expect(rejected).toMatchObject({ code: 'VERGE_ERR_REVISION_APPLY', cause: 'VERGE_ERR_FUNCTION_LOAD', generation: 2, servingGeneration: 1 });
  expect(String(rejected.err)).toContain('top level fails');
  expect((await send(node.url)).headers['x-version']).toBe('one');
  expect(JSON.parse(readFileSync(join(stateDir, 'revision.json'), 'utf8')).generation).toBe(1);
  // The next good generation is applied as usual.
  cp.publish(revisionDoc(3, origin.url, [v1], { 'viewer-response': association('tag:1') }, { revision: 3 }));
  await agent.waitForGeneration(3);
});

test('a revision whose configuration breaks a rule is refused with the option path', async () => {
  const { cp, origin, stateDir } = await setup();
  cp.addCode(v1.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const { agent, logs } = await startNode(cp.url, stateDir);
  await agent.waitForGeneration(1);
  const bad = revisionDoc(2, origin.url, [v1], { 'viewer-response': association('tag:1') });
  cp.publish({ ...bad, config: { ...bad.config, behaviors: [{ pathPattern: '*', originId: 'elsewhere', cachePolicy: 'CachingDisabled' }] } });
  const rejected = await eventually(() => logs.find((l) => l.type === 'revision-rejected'), 5_000);
  expect(rejected).toMatchObject({ code: 'VERGE_ERR_REVISION_APPLY', cause: 'VERGE_ERR_CONFIG_INVALID' });
  expect(String(rejected.err)).toContain('behaviors[0].originId: no origin has id "elsewhere"');
});

test('restarted while the control plane is down, the node serves its saved revision and keeps retrying without crashing', async () => {
  const { cp, origin, stateDir } = await setup();
  cp.addCode(v1.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const first = await startNode(cp.url, stateDir);
  await first.agent.waitForGeneration(1);
  await first.agent.stop();
  await first.node.close(1_000);
  const cpUrl = cp.url;
  await cp.close();

  const second = await startNode(cpUrl, stateDir);
  // Served as soon as the agent started: before any answer from the control plane.
  expect(second.agent.serving()?.generation).toBe(1);
  const res = await send(second.node.url);
  expect(res.status).toBe(200);
  expect(res.headers['x-version']).toBe('one');
  const warnings = await eventually(() => {
    const found = second.logs.filter((l) => l.type === 'control-plane-unreachable');
    return found.length >= 3 ? found : undefined;
  }, 5_000);
  expect(warnings[0]).toMatchObject({ level: 'warn', code: 'VERGE_ERR_CONTROL_PLANE_UNREACHABLE', step: 'registration' });
  // Backing off: the delays grow.
  expect(Number(warnings[2]!.retryInMs)).toBeGreaterThanOrEqual(Number(warnings[0]!.retryInMs));
  expect((await send(second.node.url)).status).toBe(200);
});

test('a saved revision whose code changed on disk is not served; the control plane sends it again and the code is fetched anew', async () => {
  const { cp, origin, stateDir } = await setup();
  cp.addCode(v1.source);
  cp.publish(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }));
  const first = await startNode(cp.url, stateDir);
  await first.agent.waitForGeneration(1);
  await first.agent.stop();
  await first.node.close(1_000);
  writeFileSync(join(stateDir, 'code', v1.code.sha256, 'index.js'), tagging('edited on disk'));

  const second = await startNode(cp.url, stateDir);
  expect(second.logs.find((l) => l.type === 'revision-restore-failed')).toMatchObject({ level: 'error' });
  expect(String(second.logs.find((l) => l.type === 'revision-restore-failed')!.err)).toContain('tag:1');
  await second.agent.waitForGeneration(1);
  expect((await send(second.node.url)).headers['x-version']).toBe('one');
  expect(readFileSync(join(stateDir, 'code', v1.code.sha256, 'index.js'), 'utf8')).toBe(v1.source);
});
