/**
 * A running edge node switches revisions without failing a request (issue 5 §2): new versions are
 * prewarmed, the switch is atomic, requests in flight finish on the versions they started with.
 */
import autocannon from 'autocannon';
import { afterEach, expect, test } from 'vitest';
import { nodeRevisionTarget, type RevisionTarget } from '../../src/control/apply-revision.ts';
import { codeDirOf } from '../../src/control/revision-state.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEdgeNode, type EdgeNode } from '../../src/proxy/edge-node.ts';
import { eventually, logCapture, send, startOrigin, type LogLine, type TestOrigin } from '../helpers/harness.ts';
import { association, revisionDoc, stateDirWithCode, tagging, version } from '../helpers/revision-fixtures.ts';

const listen = { host: '127.0.0.1', port: 0 };
let node: EdgeNode | undefined;
let origin: TestOrigin | undefined;
afterEach(async () => {
  await node?.close(2_000);
  await origin?.close();
  node = origin = undefined;
});

async function controlledNode(): Promise<{ node: EdgeNode; target: RevisionTarget; logs: LogLine[] }> {
  const { logs, stream } = logCapture();
  node = await startEdgeNode({ listen, location: 'test-loc' }, { logger: createLogger({ level: 'info', stream }) });
  return { node, target: nodeRevisionTarget(node, { listen, location: 'test-loc' }), logs };
}

function hammer(url: string, durationS: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: 16, duration: durationS }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

test('a node without a revision answers 503 VERGE_ERR_NO_REVISION, and serves the first revision once applied', async () => {
  origin = await startOrigin();
  const { node, target } = await controlledNode();
  const before = await send(node.url);
  expect(before.status).toBe(503);
  expect(before.text).toContain('VERGE_ERR_NO_REVISION');
  const v1 = version('tag:1', tagging('one'));
  const state = await stateDirWithCode(v1);
  await target.apply(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }), codeDirOf(state));
  const after = await send(node.url);
  expect(after.status).toBe(200);
  expect(after.headers['x-version']).toBe('one');
  expect(after.text).toBe('hello from origin');
});

test('a request keeps the versions it started with when the node switches while it waits for the origin', async () => {
  let release: () => void = () => undefined;
  const originWaits = new Promise<void>((resolve) => (release = resolve));
  origin = await startOrigin((req, res) => {
    void (req.url === '/slow' ? originWaits : Promise.resolve()).then(() => res.end('body'));
  });
  const { node, target } = await controlledNode();
  const v1 = version('tag:1', tagging('one'));
  const v2 = version('tag:2', tagging('two'));
  const codeDir = codeDirOf(await stateDirWithCode(v1, v2));
  await target.apply(revisionDoc(1, origin.url, [v1], { 'viewer-response': association('tag:1') }), codeDir);
  const slow = send(`${node.url}/slow`);
  await new Promise((r) => setTimeout(r, 100));
  await target.apply(revisionDoc(2, origin.url, [v2], { 'viewer-response': association('tag:2') }), codeDir);
  // A request that starts after the switch runs the new version at once...
  expect((await send(node.url)).headers['x-version']).toBe('two');
  release();
  // ...and the one that started before finishes on the old one.
  const res = await slow;
  expect(res.status).toBe(200);
  expect(res.headers['x-version']).toBe('one');
});

test('switching revisions under load fails no request (autocannon: 0 errors, 0 non-2xx); p99 with and without switches', async () => {
  origin = await startOrigin();
  const { node, target, logs } = await controlledNode();
  const versions = [1, 2, 3, 4, 5].map((n) => version(`tag:${n}`, tagging(`v${n}`)));
  const codeDir = codeDirOf(await stateDirWithCode(...versions));
  const docFor = (n: number) => revisionDoc(n, origin!.url, [versions[n - 1]!], { 'viewer-response': association(`tag:${n}`) });
  await target.apply(docFor(1), codeDir);

  const quiet = await hammer(node.url, 2);
  expect(quiet.errors).toBe(0);
  expect(quiet.non2xx).toBe(0);

  const load = hammer(node.url, 3);
  for (let n = 2; n <= 5; n++) {
    await new Promise((r) => setTimeout(r, 500));
    await target.apply(docFor(n), codeDir);
  }
  const switching = await load;
  expect(switching.errors).toBe(0);
  expect(switching.timeouts).toBe(0);
  expect(switching.non2xx).toBe(0);
  expect(switching.requests.total).toBeGreaterThan(100);
  expect((await send(node.url)).headers['x-version']).toBe('v5');
  const applied = logs.filter((l) => l.type === 'revision-applied');
  expect(applied.map((l) => l.generation)).toEqual([1, 2, 3, 4, 5]);
  // The note the issue asks for (§4, "the switch's effect on p99"); not asserted: the CPU is shared.
  console.log(
    `revision switch under load (16 connections): p99 ${quiet.latency.p99} ms without switches (${quiet.requests.average} req/s), ` +
      `${switching.latency.p99} ms with 4 switches in 3 s (${switching.requests.average} req/s); apply took ${applied.slice(1).map((l) => `${l.durationMs} ms`).join(', ')}`,
  );
  // The replaced versions' warm isolates are retired once their requests finished.
  await new Promise((r) => setTimeout(r, 200));
  const warm = [...node.runtime.stats().warmByVersion].filter(([, count]) => count > 0).map(([key]) => key);
  expect(warm.length).toBeGreaterThan(0);
  expect(warm.every((key) => key.startsWith('tag_5@'))).toBe(true);
}, 30_000);

test('the cache is kept across revisions: an entry stored under revision 1 is a hit under revision 2', async () => {
  origin = await startOrigin((_req, res) => {
    res.writeHead(200, { 'Cache-Control': 'max-age=300', 'Content-Type': 'text/plain' });
    res.end('cached body');
  });
  const { node, target } = await controlledNode();
  const v1 = version('tag:1', tagging('one'));
  const v2 = version('tag:2', tagging('two'));
  const codeDir = codeDirOf(await stateDirWithCode(v1, v2));
  const cached = (n: number, v: typeof v1) => {
    const doc = revisionDoc(n, origin!.url, [v], { 'viewer-response': association(v.key) });
    return { ...doc, config: { ...doc.config, behaviors: [{ pathPattern: '*', originId: 'origin', cachePolicy: 'CachingOptimized' }] } };
  };
  await target.apply(cached(1, v1), codeDir);
  expect((await send(`${node.url}/page`)).headers['x-cache']).toMatch(/^Miss/);
  await target.apply(cached(2, v2), codeDir);
  const hit = await send(`${node.url}/page`);
  expect(hit.headers['x-cache']).toMatch(/^Hit/);
  // The new revision's viewer-response runs on the cached response.
  expect(hit.headers['x-version']).toBe('two');
  expect(origin.seen).toHaveLength(1);
});

test('REPORT lines and context.functionVersion show the published version number', async () => {
  origin = await startOrigin();
  const { node, target, logs } = await controlledNode();
  const v7 = version('ctx:7', `exports.handler = async (event, context) => ({ status: '200', body: context.functionName + ' ' + context.functionVersion });`);
  await target.apply(revisionDoc(7, origin.url, [v7], { 'viewer-request': association('ctx:7') }), codeDirOf(await stateDirWithCode(v7)));
  expect((await send(node.url)).text).toBe('ctx_7 7');
  const report = await eventually(() => logs.find((l) => l.type === 'REPORT'));
  expect(report).toMatchObject({ function: 'ctx_7', version: '7' });
});
