/**
 * The one contract every CacheStore passes (STYLE.md habit 7, as undici's cacheStoreTests). Each
 * store's test file calls cacheStoreContract with a factory that opens a fresh, empty store.
 */
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import type { CacheEntryMeta, CacheStore, CacheStoreOptions } from '../../src/cache/cache-store.ts';

export interface OpenedStore {
  readonly store: CacheStore;
  readonly cleanup: () => Promise<void>;
}

export type MakeStore = (options: CacheStoreOptions) => Promise<OpenedStore>;

type PutMeta = Omit<CacheEntryMeta, 'bodySize'>;

/** A meta for a put, valid for an hour unless overridden. */
export function entryMeta(overrides: Partial<PutMeta> = {}): PutMeta {
  const now = Date.now();
  return {
    primaryKey: 'GET example.com /a',
    variantKey: '',
    path: '/a',
    tags: [],
    status: 200,
    statusText: 'OK',
    headers: ['Content-Type', 'text/plain', 'Cache-Control', 'max-age=3600'],
    policy: { v: 1, resh: { 'cache-control': 'max-age=3600' } },
    storedAtMs: now,
    expiresAtMs: now + 3_600_000,
    ...overrides,
  };
}

/** The body as an async iterable of chunks of at most chunkBytes. */
export async function* chunksOf(body: string | Buffer, chunkBytes = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  for (let i = 0; i < bytes.byteLength; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
}

export async function readAll(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(parts).toString();
}

const DEFAULT_OPTIONS: CacheStoreOptions = { maxSizeBytes: 10 * 1024 * 1024, maxObjectSizeBytes: 1024 * 1024 };

export function cacheStoreContract(name: string, makeStore: MakeStore): void {
  describe(`${name} store (CacheStore contract)`, () => {
    const opened: OpenedStore[] = [];
    afterEach(async () => {
      for (const o of opened.splice(0)) {
        await o.store.close();
        await o.cleanup();
      }
    });
    async function open(options: Partial<CacheStoreOptions> = {}): Promise<CacheStore> {
      const o = await makeStore({ ...DEFAULT_OPTIONS, ...options });
      opened.push(o);
      return o.store;
    }
    async function bodies(store: CacheStore, primaryKey: string): Promise<string[]> {
      const entries = await store.variants(primaryKey);
      return Promise.all(entries.map((e) => readAll(e.body())));
    }

    test('an unknown key has no variants', async () => {
      const store = await open();
      expect(await store.variants('nothing here')).toEqual([]);
    });

    test('a stored response comes back with its meta, its body and the body size it was read with', async () => {
      const store = await open();
      const meta = entryMeta({ tags: ['blog', 'post-1'], headers: ['ETag', '"x"', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'] });
      expect(await store.put({ ...meta, bodySize: 999 } as PutMeta, chunksOf('hello, cache'))).toBe(true);
      const [entry, ...rest] = await store.variants(meta.primaryKey);
      expect(rest).toEqual([]);
      expect(entry!.meta).toEqual({ ...meta, bodySize: 12 });
      expect(await readAll(entry!.body())).toBe('hello, cache');
      // Each call makes a fresh stream.
      expect(await readAll(entry!.body())).toBe('hello, cache');
      expect(store.kind).toBe(name);
    });

    test('an empty body is stored and read back empty', async () => {
      const store = await open();
      expect(await store.put(entryMeta({ status: 204, statusText: 'No Content' }), chunksOf(''))).toBe(true);
      const [entry] = await store.variants(entryMeta().primaryKey);
      expect(entry!.meta.bodySize).toBe(0);
      expect(await readAll(entry!.body())).toBe('');
    });

    test('a put replaces the entry with the same primary and variant key', async () => {
      const store = await open();
      await store.put(entryMeta({ tags: ['old'] }), chunksOf('first'));
      await store.put(entryMeta({ tags: ['new'], status: 203 }), chunksOf('second body'));
      const entries = await store.variants(entryMeta().primaryKey);
      expect(entries.map((e) => [e.meta.status, e.meta.tags, e.meta.bodySize])).toEqual([[203, ['new'], 11]]);
      expect(await readAll(entries[0]!.body())).toBe('second body');
      expect(store.stats().entries).toBe(1);
      // The replaced entry's tag no longer finds anything.
      expect(await store.purgeTags(['old'])).toBe(0);
    });

    test('one primary key holds several variants, most recently stored first', async () => {
      const store = await open();
      await store.put(entryMeta({ variantKey: 'gzip' }), chunksOf('gz'));
      await store.put(entryMeta({ variantKey: 'br' }), chunksOf('br'));
      await store.put(entryMeta({ variantKey: '' }), chunksOf('identity'));
      await store.put(entryMeta({ primaryKey: 'GET example.com /other', path: '/other' }), chunksOf('other'));
      const entries = await store.variants(entryMeta().primaryKey);
      expect(entries.map((e) => e.meta.variantKey)).toEqual(['', 'br', 'gzip']);
      expect(await bodies(store, entryMeta().primaryKey)).toEqual(['identity', 'br', 'gz']);
      // Replacing a variant makes it the most recently stored.
      await store.put(entryMeta({ variantKey: 'gzip' }), chunksOf('gz2'));
      expect((await store.variants(entryMeta().primaryKey)).map((e) => e.meta.variantKey)).toEqual(['gzip', '', 'br']);
    });

    test('primary keys that only differ where the variant key begins stay apart', async () => {
      const store = await open();
      await store.put(entryMeta({ primaryKey: 'k', variantKey: 'ab' }), chunksOf('one'));
      await store.put(entryMeta({ primaryKey: 'ka', variantKey: 'b' }), chunksOf('two'));
      expect(await bodies(store, 'k')).toEqual(['one']);
      expect(await bodies(store, 'ka')).toEqual(['two']);
    });

    test('delete removes one variant, or every variant of the key, and counts them', async () => {
      const store = await open();
      for (const v of ['a', 'b', 'c']) await store.put(entryMeta({ variantKey: v }), chunksOf(v));
      await store.put(entryMeta({ primaryKey: 'other', path: '/other' }), chunksOf('other'));
      expect(await store.delete(entryMeta().primaryKey, 'b')).toBe(1);
      expect(await store.delete(entryMeta().primaryKey, 'b')).toBe(0);
      expect((await store.variants(entryMeta().primaryKey)).map((e) => e.meta.variantKey)).toEqual(['c', 'a']);
      expect(await store.delete(entryMeta().primaryKey)).toBe(2);
      expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
      expect(await store.delete('no such key')).toBe(0);
      expect(await bodies(store, 'other')).toEqual(['other']);
      expect(store.stats().entries).toBe(1);
    });

    test('updateMeta replaces headers, policy, expiry and tags and keeps the body', async () => {
      const store = await open();
      const meta = entryMeta({ tags: ['a'] });
      await store.put(meta, chunksOf('kept body'));
      const update = { headers: ['ETag', '"v2"'], policy: { v: 2 }, expiresAtMs: Date.now() + 7_200_000, tags: ['b'] };
      expect(await store.updateMeta(meta.primaryKey, '', update)).toBe(true);
      const [entry] = await store.variants(meta.primaryKey);
      expect(entry!.meta).toEqual({ ...meta, ...update, bodySize: 9 });
      expect(await readAll(entry!.body())).toBe('kept body');
      expect(await store.purgeTags(['a'])).toBe(0);
      expect(await store.purgeTags(['b'])).toBe(1);
    });

    test('updateMeta of an entry that is not there resolves false and stores nothing', async () => {
      const store = await open();
      expect(await store.updateMeta('missing', '', { headers: [], policy: {}, expiresAtMs: Date.now() + 1000, tags: [] })).toBe(false);
      await store.put(entryMeta({ variantKey: 'a' }), chunksOf('a'));
      expect(await store.updateMeta(entryMeta().primaryKey, 'b', { headers: [], policy: {}, expiresAtMs: Date.now() + 1000, tags: [] })).toBe(false);
      expect(store.stats().entries).toBe(1);
    });

    test('an entry past its expiresAtMs is absent: not listed, not updated, not counted by delete', async () => {
      const store = await open();
      await store.put(entryMeta({ variantKey: 'short', expiresAtMs: Date.now() + 150 }), chunksOf('short-lived'));
      await store.put(entryMeta({ variantKey: 'long' }), chunksOf('long-lived'));
      expect((await store.variants(entryMeta().primaryKey)).length).toBe(2);
      await sleep(200);
      expect((await store.variants(entryMeta().primaryKey)).map((e) => e.meta.variantKey)).toEqual(['long']);
      expect(await store.updateMeta(entryMeta().primaryKey, 'short', { headers: [], policy: {}, expiresAtMs: Date.now() + 60_000, tags: [] })).toBe(false);
      expect(await store.delete(entryMeta().primaryKey)).toBe(1);
      expect(store.stats()).toEqual({ entries: 0, sizeBytes: 0 });
    });

    test('a revalidated entry lives on past its first expiry', async () => {
      const store = await open();
      const meta = entryMeta({ expiresAtMs: Date.now() + 150 });
      await store.put(meta, chunksOf('body'));
      expect(await store.updateMeta(meta.primaryKey, '', { headers: meta.headers, policy: meta.policy, expiresAtMs: Date.now() + 60_000, tags: [] })).toBe(true);
      await sleep(200);
      expect(await bodies(store, meta.primaryKey)).toEqual(['body']);
    });

    test('a response that has already expired is not stored', async () => {
      const store = await open();
      expect(await store.put(entryMeta({ expiresAtMs: Date.now() - 1 }), chunksOf('old'))).toBe(false);
      expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
    });

    test('a body of exactly maxObjectSizeBytes is stored', async () => {
      const store = await open({ maxObjectSizeBytes: 1000 });
      expect(await store.put(entryMeta(), chunksOf(Buffer.alloc(1000, 'x'), 100))).toBe(true);
      expect((await store.variants(entryMeta().primaryKey))[0]!.meta.bodySize).toBe(1000);
    });

    test('a body over maxObjectSizeBytes is refused as soon as it is too big, and nothing is stored', async () => {
      const store = await open({ maxObjectSizeBytes: 1000 });
      let pulled = 0;
      let finished = false;
      async function* body(): AsyncGenerator<Uint8Array> {
        try {
          for (let i = 0; i < 100; i++) {
            pulled++;
            yield Buffer.alloc(100, 'x');
          }
        } finally {
          finished = true;
        }
      }
      expect(await store.put(entryMeta(), body())).toBe(false);
      // The 11th chunk crosses 1000 bytes: no more is pulled, and the generator was closed.
      expect(pulled).toBe(11);
      expect(finished).toBe(true);
      expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
      expect(store.stats()).toEqual({ entries: 0, sizeBytes: 0 });
    });

    test('a body whose iterable throws is not stored, and the entry it would replace stays', async () => {
      const store = await open();
      await store.put(entryMeta(), chunksOf('good old body'));
      async function* broken(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('partial ');
        throw new Error('origin reset');
      }
      expect(await store.put(entryMeta({ status: 203 }), broken())).toBe(false);
      expect(await store.put(entryMeta({ primaryKey: 'fresh' }), broken())).toBe(false);
      expect(await bodies(store, entryMeta().primaryKey)).toEqual(['good old body']);
      expect(await store.variants('fresh')).toEqual([]);
      expect(store.stats().entries).toBe(1);
    });

    test('past maxSizeBytes the least recently used entry is evicted, and a variants() read counts as use', async () => {
      // Three 30 KB bodies fit in 100 KB with their headers; a fourth does not.
      const store = await open({ maxSizeBytes: 100_000, maxObjectSizeBytes: 50_000 });
      const put = (key: string) => store.put(entryMeta({ primaryKey: key, path: `/${key}` }), chunksOf(Buffer.alloc(30_000, key), 8192));
      expect(await put('a')).toBe(true);
      expect(await put('b')).toBe(true);
      expect(await put('c')).toBe(true);
      expect(store.stats().entries).toBe(3);
      expect((await store.variants('a')).length).toBe(1);
      expect(await put('d')).toBe(true);
      expect(await store.variants('b')).toEqual([]);
      for (const key of ['a', 'c', 'd']) expect((await store.variants(key)).length, key).toBe(1);
      const stats = store.stats();
      expect(stats.entries).toBe(3);
      expect(stats.sizeBytes).toBeGreaterThanOrEqual(90_000);
      expect(stats.sizeBytes).toBeLessThanOrEqual(100_000);
    });

    test('body(range) streams the inclusive byte range, clamping an end past the body', async () => {
      const store = await open();
      await store.put(entryMeta(), chunksOf('0123456789abcdef', 5));
      const [entry] = await store.variants(entryMeta().primaryKey);
      expect(await readAll(entry!.body({ start: 0, end: 0 }))).toBe('0');
      expect(await readAll(entry!.body({ start: 3, end: 11 }))).toBe('3456789ab');
      expect(await readAll(entry!.body({ start: 10, end: 15 }))).toBe('abcdef');
      expect(await readAll(entry!.body({ start: 14, end: 1000 }))).toBe('ef');
      expect(() => entry!.body({ start: 16, end: 20 })).toThrow(RangeError);
      expect(() => entry!.body({ start: 5, end: 4 })).toThrow(RangeError);
      expect(() => entry!.body({ start: -1, end: 4 })).toThrow(RangeError);
    });

    test('bodyBytes, where a store offers it, gives the same bytes as body() for the whole and for ranges', async () => {
      const store = await open();
      await store.put(entryMeta(), chunksOf('0123456789abcdef', 5));
      const [entry] = await store.variants(entryMeta().primaryKey);
      if (entry!.bodyBytes === undefined) return; // optional: streamed stores (disk) leave it out
      expect(Buffer.from(entry!.bodyBytes()).toString()).toBe(await readAll(entry!.body()));
      expect(Buffer.from(entry!.bodyBytes({ start: 3, end: 11 })).toString()).toBe('3456789ab');
      expect(Buffer.from(entry!.bodyBytes({ start: 14, end: 1000 })).toString()).toBe('ef');
      expect(() => entry!.bodyBytes!({ start: 16, end: 20 })).toThrow(RangeError);
    });

    test('a body stream made before a delete or a replacement still reads the whole old body', async () => {
      const store = await open();
      const big = Buffer.alloc(200_000, 'o');
      await store.put(entryMeta(), chunksOf(big, 65_536));
      const [entry] = await store.variants(entryMeta().primaryKey);
      const beforeDelete = entry!.body();
      const rangeBeforeDelete = entry!.body({ start: 10, end: 19 });
      expect(await store.delete(entryMeta().primaryKey)).toBe(1);
      expect(await readAll(beforeDelete)).toBe(big.toString());
      expect(await readAll(rangeBeforeDelete)).toBe('oooooooooo');

      await store.put(entryMeta(), chunksOf('first', 65_536));
      const [first] = await store.variants(entryMeta().primaryKey);
      const beforeReplace = first!.body();
      await store.put(entryMeta(), chunksOf('second', 65_536));
      expect(await readAll(beforeReplace)).toBe('first');
      expect(await bodies(store, entryMeta().primaryKey)).toEqual(['second']);
    });

    test('purgePaths deletes exact paths and `*`-prefixed paths, and counts them', async () => {
      const store = await open();
      const paths = ['/a', '/a/b', '/ab', '/img/', '/img/x.png', '/img/sub/y.png', '/imgx', '/other'];
      for (const path of paths) await store.put(entryMeta({ primaryKey: `GET ${path}`, path }), chunksOf(path));
      // Two variants of one path are both purged.
      await store.put(entryMeta({ primaryKey: 'GET /a', variantKey: 'br', path: '/a' }), chunksOf('/a br'));
      expect(await store.purgePaths(['/a'])).toBe(2);
      expect(await store.variants('GET /a')).toEqual([]);
      expect((await store.variants('GET /a/b')).length).toBe(1);
      expect((await store.variants('GET /ab')).length).toBe(1);
      expect(await store.purgePaths(['/img/*', '/nothing'])).toBe(3);
      expect((await store.variants('GET /imgx')).length).toBe(1);
      expect(await store.purgePaths(['/img/*'])).toBe(0);
      expect(await store.purgePaths(['/*'])).toBe(4);
      expect(store.stats()).toEqual({ entries: 0, sizeBytes: 0 });
    });

    test('purgePaths takes `%`, `_` and other pattern characters literally', async () => {
      const store = await open();
      const paths = ['/a_b', '/axb', '/a%b', '/a%c', '/a[b]', '/ab', '/a\\b', '/été/ü', '/étf'];
      for (const path of paths) await store.put(entryMeta({ primaryKey: `GET ${path}`, path }), chunksOf(path));
      expect(await store.purgePaths(['/a_b'])).toBe(1);
      expect((await store.variants('GET /axb')).length).toBe(1);
      expect(await store.purgePaths(['/a%*'])).toBe(2);
      expect((await store.variants('GET /ab')).length).toBe(1);
      expect(await store.purgePaths(['/a[*'])).toBe(1);
      expect(await store.purgePaths(['/a\\*'])).toBe(1);
      expect(await store.purgePaths(['/a?'])).toBe(0);
      expect(await store.purgePaths(['/été*'])).toBe(1);
      expect((await store.variants('GET /étf')).length).toBe(1);
      expect((await store.variants('GET /axb')).length).toBe(1);
      expect((await store.variants('GET /ab')).length).toBe(1);
    });

    test('purgeTags deletes every entry carrying one of the tags, and counts them', async () => {
      const store = await open();
      await store.put(entryMeta({ primaryKey: 'one', tags: ['product-1', 'catalog'] }), chunksOf('1'));
      await store.put(entryMeta({ primaryKey: 'two', tags: ['product-2', 'catalog'] }), chunksOf('2'));
      await store.put(entryMeta({ primaryKey: 'three', tags: ['product-3'] }), chunksOf('3'));
      await store.put(entryMeta({ primaryKey: 'untagged' }), chunksOf('4'));
      expect(await store.purgeTags(['nothing', 'product_%'])).toBe(0);
      expect(await store.purgeTags(['product-1', 'product-3'])).toBe(2);
      expect(await store.purgeTags(['catalog'])).toBe(1);
      expect(await store.variants('two')).toEqual([]);
      expect((await store.variants('untagged')).length).toBe(1);
      expect(await store.purgeTags([])).toBe(0);
    });

    test('a response whose body was still arriving when a purge ran is not stored', async () => {
      const store = await open();
      let release!: () => void;
      const purged = new Promise<void>((resolve) => (release = resolve));
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('fetched before ');
        await purged;
        yield Buffer.from('the purge');
      }
      const putting = store.put(entryMeta(), slow());
      await sleep(20);
      await store.purgePaths(['/*']);
      release();
      expect(await putting).toBe(false);
      expect(await store.variants(entryMeta().primaryKey)).toEqual([]);
    });

    test('stats counts entries and their bytes', async () => {
      const store = await open();
      expect(store.stats()).toEqual({ entries: 0, sizeBytes: 0 });
      await store.put(entryMeta({ primaryKey: 'x' }), chunksOf(Buffer.alloc(5000)));
      const one = store.stats();
      expect(one.entries).toBe(1);
      expect(one.sizeBytes).toBeGreaterThan(5000);
      await store.put(entryMeta({ primaryKey: 'y' }), chunksOf(Buffer.alloc(3000)));
      const two = store.stats();
      expect(two.entries).toBe(2);
      expect(two.sizeBytes).toBeGreaterThan(one.sizeBytes + 3000);
      await store.delete('x');
      expect(store.stats().entries).toBe(1);
      expect(store.stats().sizeBytes).toBe(two.sizeBytes - one.sizeBytes);
    });
  });
}
