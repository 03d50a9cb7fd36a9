import { afterEach, expect, test } from 'vitest';
import { IsolatePool, type IsolatePoolOptions } from '../../src/runtime/isolate-pool.ts';
import { createFunctionVersion, type FunctionVersion } from '../../src/runtime/function-version.ts';
import type { IsolateInstance } from '../../src/runtime/isolate-instance.ts';
import { functionConfig } from '../../src/config/function-config.ts';

// The pool's budget and the code cache, through IsolatePool's own surface: real isolates, no mocks.

const SOURCE = `exports.handler = async (event) => event.Records[0].cf.request;`;
const MB = 1024 * 1024;

function version(name: string, source = SOURCE): FunctionVersion {
  return createFunctionVersion(functionConfig({ name, codePath: `/fn/${name}.js`, memoryMb: 128, timeoutMs: 1000 }), { code: source });
}

const pools: IsolatePool[] = [];
afterEach(() => {
  for (const p of pools.splice(0)) p.close();
});

function pool(options: Partial<IsolatePoolOptions> = {}): IsolatePool {
  const p = new IsolatePool({
    maxWarmIsolates: 100,
    maxWarmMemoryMb: 1024,
    isolatesPerVersion: 2,
    recycleAfterInvocations: 0,
    recycleHeapPercent: 0,
    spareIsolates: 0,
    ...options,
  });
  pools.push(p);
  return p;
}

/** A cold isolate with its heap sampled, as after its first invocation. */
function sampled(p: IsolatePool, v: FunctionVersion): IsolateInstance {
  const instance = p.create(v);
  instance.sampleHeap();
  return instance;
}

test('the first cold start of a version compiles from source; its V8 code cache is made elsewhere and every later one uses it', async () => {
  const p = pool();
  const v = version('cached');
  const first = p.create(v);
  expect(first.codeCache).toBe('none');
  // Not produced in the serving isolate (code-cache.ts: that would leave V8's serializer tables in
  // it, ~0.1 MB): the producer makes it afterwards, from the script as compiled.
  expect(v.cachedData).toBeUndefined();
  expect(first.uncachedScript).toBeUndefined(); // handed to the producer
  await p.codeCaches.settled();
  expect(v.cachedData).toBeDefined();
  for (let i = 0; i < 3; i++) expect(p.create(v).codeCache).toBe('used');
  // Another version has its own cache.
  const other = version('other');
  expect(p.create(other).codeCache).toBe('none');
  await p.codeCaches.settled();
  expect(other.cachedData).toBeDefined();
  expect(other.cachedData).not.toBe(v.cachedData);
  expect(p.create(other).codeCache).toBe('used');
});

test('a cache V8 refuses is made again from the source', async () => {
  const p = pool();
  const v = version('refused');
  p.create(v);
  await p.codeCaches.settled();
  // Another version's cache: V8 checks the source's hash and refuses it.
  const other = version('refused-other', `${SOURCE}\n// another source\n`);
  p.create(other);
  await p.codeCaches.settled();
  const foreign = other.cachedData;
  v.cachedData = foreign;
  expect(p.create(v).codeCache).toBe('rejected');
  await p.codeCaches.settled();
  expect(v.cachedData).toBeDefined();
  expect(v.cachedData).not.toBe(foreign);
  expect(p.create(v).codeCache).toBe('used');
});

test('past maxWarmIsolates the least recently used idle isolate is disposed', () => {
  const p = pool({ maxWarmIsolates: 2 });
  const [a, b, c] = [version('a'), version('b'), version('c')];
  const ia = sampled(p, a);
  p.release(ia);
  p.release(sampled(p, b));
  p.release(sampled(p, c));
  expect(p.stats().warmIsolates).toBe(2);
  expect(ia.isolate.isDisposed).toBe(true);
  expect(p.takeWarm(a)).toBeUndefined();
  expect(p.takeWarm(b)).toBeDefined();
  expect(p.takeWarm(c)).toBeDefined();
});

test('past maxWarmMemoryMb the least recently used idle isolates are disposed until the rest fit', () => {
  const probe = pool();
  const size = sampled(probe, version('probe')).heapSizeBytes;
  expect(size).toBeGreaterThan(0);
  // Room for two isolates of this size, not three.
  const p = pool({ maxWarmMemoryMb: Math.ceil((2.5 * size) / MB) });
  const versions = ['m1', 'm2', 'm3', 'm4'].map((n) => version(n));
  for (const v of versions) p.release(sampled(p, v));
  const stats = p.stats();
  expect(stats.warmIsolates).toBe(2);
  expect(stats.warmHeapBytes).toBeLessThanOrEqual(Math.ceil((2.5 * size) / MB) * MB);
  // The two most recently released are the ones kept.
  expect(p.takeWarm(versions[0]!)).toBeUndefined();
  expect(p.takeWarm(versions[3]!)).toBeDefined();
});

test('an isolate larger than the whole memory budget is not kept warm', () => {
  const p = pool({ maxWarmMemoryMb: 1 });
  const v = version('big', `const kept = new Array(400000).fill(0.5);\nexports.handler = async (e) => e.Records[0].cf.request;`);
  const instance = sampled(p, v);
  expect(instance.heapSizeBytes).toBeGreaterThan(MB);
  expect(p.release(instance)).toBe('over-budget');
  expect(instance.isolate.isDisposed).toBe(true);
  expect(p.stats().warmIsolates).toBe(0);
});

test('at most isolatesPerVersion idle isolates are kept per version', () => {
  const p = pool({ isolatesPerVersion: 2 });
  const v = version('burst');
  const burst = [sampled(p, v), sampled(p, v), sampled(p, v)];
  expect(burst.map((i) => p.release(i))).toEqual(['kept', 'kept', 'pool-full']);
  expect(p.stats().warmByVersion.get(v.key)).toBe(2);
});

test('an isolate is recycled after recycleAfterInvocations invocations, and over recycleHeapPercent of memoryMb', () => {
  const byCount = pool({ recycleAfterInvocations: 5 });
  const v = version('worn');
  const worn = sampled(byCount, v);
  worn.invocations = 4;
  expect(byCount.release(worn)).toBe('kept');
  worn.invocations = 5;
  expect(byCount.release(byCount.takeWarm(v)!)).toBe('recycled-invocations');

  const byHeap = pool({ recycleHeapPercent: 1 });
  // 1% of 128 MB is 1.3 MB: a function holding 3.2 MB of doubles is past it.
  const heavy = sampled(byHeap, version('heavy', `const kept = new Array(400000).fill(0.5);\nexports.handler = async (e) => e.Records[0].cf.request;`));
  expect(byHeap.release(heavy)).toBe('recycled-heap');
  expect(byHeap.release(sampled(byHeap, version('light')))).toBe('kept');
});

test('an isolate of a retired version that was still in flight is disposed when it comes back, not kept warm', () => {
  const p = pool();
  const v = version('replaced');
  const inFlight = sampled(p, v);
  p.release(sampled(p, v));
  p.retire(v.key);
  expect(p.stats().warmIsolates).toBe(0);
  expect(p.release(inFlight)).toBe('retired');
  expect(inFlight.isolate.isDisposed).toBe(true);
  expect(p.takeWarm(v)).toBeUndefined();
});

test('a retired version that is loaded again (an edit undone) is kept warm again', () => {
  const p = pool();
  const v = version('undone');
  p.retire(v.key);
  expect(p.release(sampled(p, v))).toBe('kept');
  expect(p.takeWarm(v)).toBeDefined();
});

test('a retry of a request under way (create without revive) does not un-retire a replaced version', () => {
  const p = pool();
  const v = version('retired-retry');
  const first = p.create(v);
  p.retire(v.key);
  const retry = p.create(v, false);
  expect(p.release(retry)).toBe('retired');
  // A plain create (the version in use again: a code edit undone) revives it.
  const again = p.create(v);
  expect(p.release(again)).toBe('kept');
  first.dispose();
});
