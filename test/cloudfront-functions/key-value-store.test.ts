import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseKeyValueStore } from '../../src/kvs/kvs-data.ts';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

const when = new Date('2026-01-02T03:04:05.000Z');
const parse = (doc: unknown) => parseKeyValueStore(JSON.stringify(doc), when, when);

describe('store files in CloudFront\'s import format', () => {
  test('entries and meta', () => {
    const store = parse({ data: [{ key: 'a', value: '1' }, { key: 'b', value: '{"x":2}' }] });
    expect([...store.entries]).toEqual([['a', '1'], ['b', '{"x":2}']]);
    expect(JSON.parse(store.metaJson)).toEqual({ creationDateTime: '2026-01-02T03:04:05.000Z', lastUpdatedDateTime: '2026-01-02T03:04:05.000Z', keyCount: 2 });
  });

  test.each([
    [{ items: [] }, /expected \{"data"/],
    [{ data: [{ key: 'a' }] }, /data\[0\]\.value must be a string/],
    [{ data: [{ key: 'k'.repeat(513), value: '' }] }, /data\[0\]\.key is 513 bytes, over the 512-byte limit/],
    [{ data: [{ key: 'k', value: 'v'.repeat(1025) }] }, /data\[0\]\.value is 1025 bytes, over the 1024-byte limit/],
    [{ data: [{ key: 'k', value: '1' }, { key: 'k', value: '2' }] }, /data\[1\]\.key "k" appears twice/],
    [{ data: Array.from({ length: 5300 }, (_, i) => ({ key: `key-${i}`, value: 'v'.repeat(1000) })) }, /over the 5242880-byte \(5 MB\) limit/],
  ])('%# is refused with a message naming the entry', (doc, message) => {
    expect(() => parse(doc)).toThrow(message);
  });

  test('a store file that does not load stops startup, naming the store', async () => {
    const file = functionFile('{"data": 1}', '.json');
    await expect(
      startEdge({
        origins: [{ id: 'o', url: 'http://127.0.0.1:9' }],
        keyValueStores: [{ id: 'kv', file }],
        behaviors: [{ pathPattern: '*', originId: 'o' }],
      }),
    ).rejects.toThrow(/keyValueStores\[0\]\.file: .*expected \{"data"/);
  });
});

describe('cf.kvs() in a function', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  beforeAll(async () => {
    origin = await startOrigin();
    const file = functionFile(JSON.stringify({ data: [{ key: 'greeting', value: 'héllo' }, { key: 'config', value: '{"ttl":30}' }] }), '.json');
    const reader = functionFile(`import cf from 'cloudfront';
async function handler(event) {
  const kvs = cf.kvs();
  const out = [];
  out.push(await kvs.get('greeting'));
  out.push((await kvs.get('config', { format: 'json' })).ttl);
  const bytes = await kvs.get('greeting', { format: 'bytes' });
  out.push(bytes.length);
  out.push(await kvs.exists('greeting'), await kvs.exists('missing'));
  try { await kvs.get('missing'); out.push('no-reject'); } catch (e) { out.push('rejected'); }
  out.push((await kvs.meta()).keyCount);
  out.push(typeof (await cf.kvs('kv').get('greeting')));
  try { cf.kvs('other'); out.push('no-throw'); } catch (e) { out.push('other-refused'); }
  event.request.headers['x-kvs'] = { value: encodeURIComponent(JSON.stringify(out)) };
  return event.request;
}`);
    const noStore = functionFile(`import cf from 'cloudfront';
function handler(event) { cf.kvs(); return event.request; }`);
    edge = await startEdge({
      origins: [{ id: 'o', url: origin.url }],
      keyValueStores: [{ id: 'kv', file }],
      functions: [
        { name: 'reader', code: reader, runtime: 'cloudfront-js-2.0', keyValueStore: 'kv', timeoutMs: 1000 },
        { name: 'no-store', code: noStore, runtime: 'cloudfront-js-2.0', timeoutMs: 1000 },
      ],
      behaviors: [
        { pathPattern: '/no-store/*', originId: 'o', functions: { 'viewer-request': { name: 'no-store' } } },
        { pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'reader' } } },
      ],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  test('get (string, json, bytes), exists, meta, kvs(id), and get rejecting a missing key', async () => {
    const res = await send(`${edge.url}/`);
    expect(res.status).toBe(200);
    const out = JSON.parse(decodeURIComponent(String(origin.seen.at(-1)!.headers['x-kvs'])));
    expect(out).toEqual(['héllo', 30, 6, true, false, 'rejected', 2, 'string', 'other-refused']);
  });

  test('kvs() in a function with no store throws (503 FunctionExecutionError)', async () => {
    const res = await send(`${edge.url}/no-store/`);
    expect(res.status).toBe(503);
    expect(res.headers['x-cache']).toBe('FunctionExecutionError from verge');
  });
});

describe('a CloudFront Function on the isolate thread pool', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  beforeAll(async () => {
    origin = await startOrigin();
    const file = functionFile(JSON.stringify({ data: [{ key: 'k', value: 'from-store' }] }), '.json');
    // Busy for a few milliseconds first, so with a 1 ms sync slice the version moves to the pool.
    const code = functionFile(`import cf from 'cloudfront';
async function handler(event) {
  var x = 0;
  for (var i = 0; i < 3e6; i++) x += i;
  event.request.headers['x-kvs'] = { value: (await cf.kvs().get('k')) + ' ' + (x > 0) };
  return event.request;
}`);
    edge = await startEdge(
      {
        origins: [{ id: 'o', url: origin.url }],
        keyValueStores: [{ id: 'kv', file }],
        functions: [{ name: 'slow', code, runtime: 'cloudfront-js-2.0', keyValueStore: 'kv', timeoutMs: 1000 }],
        behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'slow' } } }],
      },
      { syncSliceMs: 1 },
    );
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  test('reads its store through the same lookup', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await send(`${edge.url}/`);
      expect(res.status).toBe(200);
      expect(origin.seen.at(-1)!.headers['x-kvs']).toBe('from-store true');
    }
    expect(edge.node.registry.get('slow').mode).toBe('async');
  });
});

describe('a store file replaced while the node runs', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  let dir: string;
  let file: string;
  let writes = 0;
  const doc = (v: string) => JSON.stringify({ data: [{ key: 'v', value: v }] });
  // The atomic replace editors and ConfigMaps do: write a temporary file, rename it over the store.
  const renameWrite = (text: string) => {
    const tmp = join(dir, `.store.json.tmp-${++writes}`);
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  };
  const served = async () => {
    const res = await send(`${edge.url}/`);
    expect(res.status).toBe(200);
    return origin.seen.at(-1)!.headers['x-v'];
  };
  beforeAll(async () => {
    origin = await startOrigin();
    dir = mkdtempSync(join(tmpdir(), 'verge-kvs-'));
    file = join(dir, 'store.json');
    writeFileSync(file, doc('v1'));
    const code = functionFile(`import cf from 'cloudfront';
async function handler(event) { event.request.headers['x-v'] = { value: await cf.kvs().get('v') }; return event.request; }`);
    edge = await startEdge({
      origins: [{ id: 'o', url: origin.url }],
      keyValueStores: [{ id: 'kv', file }],
      functions: [{ name: 'reader', code, runtime: 'cloudfront-js-2.0', keyValueStore: 'kv', timeoutMs: 1000 }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'reader' } } }],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  test('each of several successive rename-writes is seen by cf.kvs().get; a bad one keeps the last good data', async () => {
    expect(await served()).toBe('v1');
    for (const v of ['v2', 'v3', 'v4']) {
      renameWrite(doc(v));
      await eventually(async () => (await served()) === v, 5_000);
    }
    renameWrite('{"data": 1}');
    await eventually(() => edge.logs.find((l) => l.type === 'kvs-reload-failed'), 5_000);
    expect(await served()).toBe('v4');
    // Written in place after the renames: still followed.
    writeFileSync(file, doc('v5'));
    await eventually(async () => (await served()) === 'v5', 5_000);
  });
});
