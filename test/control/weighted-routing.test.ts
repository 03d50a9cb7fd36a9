/**
 * An alias's weighted routing (additionalVersionWeights) at the edge: the additional version gets its
 * share of viewers, and a viewer (its verge-sticky cookie, else its address) always gets the same version.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { nodeRevisionTarget } from '../../src/control/apply-revision.ts';
import { codeDirOf } from '../../src/control/revision-state.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { viewerBucket, viewerId } from '../../src/pipeline/weighted-association.ts';
import { startEdgeNode, type EdgeNode } from '../../src/proxy/edge-node.ts';
import { logCapture, send, startEdge, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { answering, association, revisionDoc, stateDirWithCode, version } from '../helpers/revision-fixtures.ts';

const listen = { host: '127.0.0.1', port: 0 };
let node: EdgeNode;
let origin: TestOrigin;

beforeAll(async () => {
  origin = await startOrigin();
  node = await startEdgeNode({ listen, location: 'weights' }, { logger: createLogger({ level: 'warn', stream: logCapture().stream }) });
  const v1 = version('site:1', answering('one'));
  const v2 = version('site:2', answering('two'));
  const target = nodeRevisionTarget(node, { listen, location: 'weights' });
  await target.apply(revisionDoc(1, origin.url, [v1, v2], { 'viewer-request': association('site:1', { key: 'site:2', weight: 0.3 }) }), codeDirOf(await stateDirWithCode(v1, v2)));
});
afterAll(async () => {
  await node.close(1_000);
  await origin.close();
});

async function versionsFor(viewers: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < viewers.length; i += 50) {
    const batch = viewers.slice(i, i + 50);
    out.push(...(await Promise.all(batch.map(async (id) => (await send(node.url, { headers: { cookie: `theme=dark; verge-sticky=${id}` } })).text))));
  }
  return out;
}

test('weight 0.3 sends 30 % ± 5 % of 1000 distinct viewers (verge-sticky cookies) to the additional version', async () => {
  const viewers = Array.from({ length: 1000 }, (_, i) => `viewer-${i}`);
  const got = await versionsFor(viewers);
  const share = got.filter((v) => v === 'two').length / got.length;
  expect(got.every((v) => v === 'one' || v === 'two')).toBe(true);
  expect(share).toBeGreaterThan(0.25);
  expect(share).toBeLessThan(0.35);
}, 60_000);

test('the same viewer always gets the same version', async () => {
  const viewers = Array.from({ length: 100 }, (_, i) => `again-${i}`);
  const first = await versionsFor(viewers);
  const second = await versionsFor(viewers);
  const third = await versionsFor(viewers.toReversed());
  expect(second).toEqual(first);
  expect(third.toReversed()).toEqual(first);
  // Both versions occur, or the stickiness above proves nothing.
  expect(new Set(first)).toEqual(new Set(['one', 'two']));
}, 60_000);

test('without the cookie the viewer is its client address: every request from 127.0.0.1 gets the same version', async () => {
  const expected = viewerBucket(viewerId(undefined, '127.0.0.1')) < 0.3 ? 'two' : 'one';
  const got = await Promise.all(Array.from({ length: 20 }, () => send(node.url).then((r) => r.text)));
  expect(new Set(got)).toEqual(new Set([expected]));
});

test('raising the weight only moves viewers from the primary to the additional version', () => {
  const ids = Array.from({ length: 2000 }, (_, i) => viewerBucket(viewerId(`verge-sticky=u${i}`, '10.0.0.1')));
  const at = (weight: number) => new Set(ids.flatMap((b, i) => (b < weight ? [i] : [])));
  const low = at(0.1);
  const high = at(0.5);
  expect([...low].every((i) => high.has(i))).toBe(true);
  expect(high.size / ids.length).toBeGreaterThan(0.45);
  expect(high.size / ids.length).toBeLessThan(0.55);
});

test('a config file may route by weight too, and an additional name that is no function is refused with its path', async () => {
  const base = {
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'a', code: 'missing.js' }],
    behaviors: [{ pathPattern: '*', originId: 'o', cachePolicy: 'CachingDisabled', functions: { 'viewer-request': { name: 'a', additional: { name: 'nope', weight: 0.5 } } } }],
  };
  await expect(startEdge(base)).rejects.toThrow(/behaviors\[0\]\.functions\.viewer-request\.additional\.name: no function is named "nope"/);
});

test('the additional version must have the runtime of the primary one', async () => {
  const base = {
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      { name: 'lambda', code: 'missing.js' },
      { name: 'cff', code: 'missing-cff.js', runtime: 'cloudfront-js-2.0' },
    ],
    behaviors: [{ pathPattern: '*', originId: 'o', cachePolicy: 'CachingDisabled', functions: { 'viewer-request': { name: 'lambda', additional: { name: 'cff', weight: 0.1 } } } }],
  };
  await expect(startEdge(base)).rejects.toThrow(/behaviors\[0\]\.functions\.viewer-request\.additional\.name: must have the runtime of "lambda" \(nodejs-edge\), got cloudfront-js-2\.0/);
});
