import { describe, test, expect } from 'vitest';
import { cacheKey, normaliseAcceptEncoding, type CacheKeyRequest } from '../../src/cache/cache-key.ts';
import { MANAGED_CACHE_POLICIES, cachePolicySchema, type CustomCachePolicyInput } from '../../src/config/cache-config.ts';

const policy = (input: CustomCachePolicyInput) => cachePolicySchema.parse(input);
const OPTIMIZED = MANAGED_CACHE_POLICIES.CachingOptimized!;
const UNCOMPRESSED = MANAGED_CACHE_POLICIES.CachingOptimizedForUncompressedObjects!;
const GZIP_ONLY = policy({ enableAcceptEncodingGzip: true });

describe('normaliseAcceptEncoding', () => {
  test('br is preferred when both are enabled and accepted, whatever the weights', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, 'gzip, deflate, br')).toBe('br');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'gzip;q=1.0, br;q=0.1')).toBe('br');
  });
  test('gzip when br is not accepted or not enabled', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, 'gzip, deflate')).toBe('gzip');
    expect(normaliseAcceptEncoding(GZIP_ONLY, 'br, gzip')).toBe('gzip');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'x-gzip')).toBe('gzip');
  });
  test('q=0 means not acceptable', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, 'br;q=0, gzip')).toBe('gzip');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'br; q=0.000, gzip;q=0')).toBe('identity');
  });
  test('* stands for the codings not named', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, '*')).toBe('br');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'br;q=0, *')).toBe('gzip');
    expect(normaliseAcceptEncoding(OPTIMIZED, '*;q=0, gzip')).toBe('gzip');
  });
  test('names are case-insensitive; malformed weights make the member absent', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, 'BR')).toBe('br');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'br;q=2, gzip')).toBe('gzip');
    expect(normaliseAcceptEncoding(OPTIMIZED, 'br;q=abc')).toBe('identity');
  });
  test('identity when nothing is accepted, no header, or the policy enables neither', () => {
    expect(normaliseAcceptEncoding(OPTIMIZED, 'deflate, zstd')).toBe('identity');
    expect(normaliseAcceptEncoding(OPTIMIZED, undefined)).toBe('identity');
    expect(normaliseAcceptEncoding(OPTIMIZED, '')).toBe('identity');
    expect(normaliseAcceptEncoding(UNCOMPRESSED, 'br, gzip')).toBe('identity');
  });
});

const req = (over: Partial<CacheKeyRequest> = {}): CacheKeyRequest => ({ uri: '/index.html', querystring: '', headers: ['Host', 'a.example'], ...over });

describe('cacheKey', () => {
  test('GET and HEAD share a key; other methods do not', () => {
    expect(cacheKey(OPTIMIZED, req({ method: 'HEAD' }), 'identity')).toBe(cacheKey(OPTIMIZED, req(), 'identity'));
    expect(cacheKey(OPTIMIZED, req({ method: 'OPTIONS' }), 'identity')).not.toBe(cacheKey(OPTIMIZED, req(), 'identity'));
  });
  test('the URI and the coding are always part of it', () => {
    expect(cacheKey(OPTIMIZED, req({ uri: '/a' }), 'identity')).not.toBe(cacheKey(OPTIMIZED, req({ uri: '/b' }), 'identity'));
    expect(cacheKey(OPTIMIZED, req(), 'br')).not.toBe(cacheKey(OPTIMIZED, req(), 'gzip'));
  });
  test('the Host header only when the policy lists it; scope always', () => {
    const other = req({ headers: ['Host', 'b.example'] });
    expect(cacheKey(OPTIMIZED, req(), 'identity')).toBe(cacheKey(OPTIMIZED, other, 'identity'));
    const byHost = MANAGED_CACHE_POLICIES.UseOriginCacheControlHeaders!;
    expect(cacheKey(byHost, req(), 'identity')).not.toBe(cacheKey(byHost, other, 'identity'));
    expect(cacheKey(OPTIMIZED, req({ scope: 'd1' }), 'identity')).not.toBe(cacheKey(OPTIMIZED, req({ scope: 'd2' }), 'identity'));
  });

  describe('query strings', () => {
    const all = policy({ queryStrings: { behavior: 'all' } });
    test('none: ignored', () => {
      expect(cacheKey(OPTIMIZED, req({ querystring: 'a=1' }), 'identity')).toBe(cacheKey(OPTIMIZED, req(), 'identity'));
    });
    test('all: every parameter, in any order', () => {
      expect(cacheKey(all, req({ querystring: 'a=1' }), 'identity')).not.toBe(cacheKey(all, req({ querystring: 'a=2' }), 'identity'));
      expect(cacheKey(all, req({ querystring: 'b=2&a=1' }), 'identity')).toBe(cacheKey(all, req({ querystring: 'a=1&b=2' }), 'identity'));
    });
    test('repeated names keep their order', () => {
      expect(cacheKey(all, req({ querystring: 'a=1&a=2' }), 'identity')).not.toBe(cacheKey(all, req({ querystring: 'a=2&a=1' }), 'identity'));
    });
    test('"?a" and "?a=" differ; empty segments do not count', () => {
      expect(cacheKey(all, req({ querystring: 'a' }), 'identity')).not.toBe(cacheKey(all, req({ querystring: 'a=' }), 'identity'));
      expect(cacheKey(all, req({ querystring: '&a=1&&' }), 'identity')).toBe(cacheKey(all, req({ querystring: 'a=1' }), 'identity'));
    });
    test('whitelist: only the listed names (matched percent-decoded)', () => {
      const some = policy({ queryStrings: { behavior: 'whitelist', items: ['page', 'sort by'] } });
      expect(cacheKey(some, req({ querystring: 'page=2&utm=x' }), 'identity')).toBe(cacheKey(some, req({ querystring: 'page=2&utm=y' }), 'identity'));
      expect(cacheKey(some, req({ querystring: 'page=2' }), 'identity')).not.toBe(cacheKey(some, req({ querystring: 'page=3' }), 'identity'));
      expect(cacheKey(some, req({ querystring: 'sort%20by=a' }), 'identity')).not.toBe(cacheKey(some, req({ querystring: 'sort%20by=b' }), 'identity'));
    });
    test('allExcept: everything but the listed names', () => {
      const except = policy({ queryStrings: { behavior: 'allExcept', items: ['utm'] } });
      expect(cacheKey(except, req({ querystring: 'page=2&utm=x' }), 'identity')).toBe(cacheKey(except, req({ querystring: 'utm=y&page=2' }), 'identity'));
      expect(cacheKey(except, req({ querystring: 'page=2' }), 'identity')).not.toBe(cacheKey(except, req({ querystring: 'page=3' }), 'identity'));
    });
  });

  describe('headers', () => {
    const byLang = policy({ headers: { behavior: 'whitelist', items: ['Accept-Language'] } });
    test('listed headers count, by value, case-insensitively by name', () => {
      expect(cacheKey(byLang, req({ headers: ['accept-language', 'en'] }), 'identity')).not.toBe(cacheKey(byLang, req({ headers: ['Accept-Language', 'fr'] }), 'identity'));
      expect(cacheKey(byLang, req({ headers: ['accept-language', 'en', 'X-Other', '1'] }), 'identity')).toBe(cacheKey(byLang, req({ headers: ['ACCEPT-LANGUAGE', 'en'] }), 'identity'));
    });
    test('an absent header differs from an empty one', () => {
      expect(cacheKey(byLang, req({ headers: [] }), 'identity')).not.toBe(cacheKey(byLang, req({ headers: ['Accept-Language', ''] }), 'identity'));
    });
  });

  describe('cookies', () => {
    test('none: ignored', () => {
      expect(cacheKey(OPTIMIZED, req({ headers: ['Cookie', 'a=1'] }), 'identity')).toBe(cacheKey(OPTIMIZED, req(), 'identity'));
    });
    test('all: every cookie, sorted by name, across Cookie lines', () => {
      const all = policy({ cookies: { behavior: 'all' } });
      expect(cacheKey(all, req({ headers: ['Cookie', 'b=2; a=1'] }), 'identity')).toBe(cacheKey(all, req({ headers: ['Cookie', 'a=1', 'Cookie', 'b=2'] }), 'identity'));
      expect(cacheKey(all, req({ headers: ['Cookie', 'a=1'] }), 'identity')).not.toBe(cacheKey(all, req({ headers: ['Cookie', 'a=2'] }), 'identity'));
    });
    test('whitelist and allExcept, with case-sensitive names', () => {
      const session = policy({ cookies: { behavior: 'whitelist', items: ['session'] } });
      expect(cacheKey(session, req({ headers: ['Cookie', 'session=1; theme=x'] }), 'identity')).toBe(cacheKey(session, req({ headers: ['Cookie', 'theme=y; session=1'] }), 'identity'));
      expect(cacheKey(session, req({ headers: ['Cookie', 'Session=1'] }), 'identity')).toBe(cacheKey(session, req(), 'identity'));
      const except = policy({ cookies: { behavior: 'allExcept', items: ['tracking'] } });
      expect(cacheKey(except, req({ headers: ['Cookie', 'tracking=1; a=1'] }), 'identity')).toBe(cacheKey(except, req({ headers: ['Cookie', 'a=1; tracking=2'] }), 'identity'));
    });
  });

  test('crafted values cannot make two different requests share a key', () => {
    const everything = policy({
      queryStrings: { behavior: 'all' },
      cookies: { behavior: 'all' },
      headers: { behavior: 'whitelist', items: ['x-a', 'x-b'] },
    });
    const pairs: Array<[Partial<CacheKeyRequest>, Partial<CacheKeyRequest>]> = [
      [{ headers: ['X-A', '1", "x-b": "2'] }, { headers: ['X-A', '1', 'X-B', '2'] }],
      [{ headers: ['X-A', '1, 2'] }, { headers: ['X-A', '1', 'X-B', '2'] }],
      [{ headers: ['Cookie', 'a=1; b=2'] }, { headers: ['Cookie', 'a=1%3B b=2'] }],
      [{ querystring: 'a=1&b=2' }, { querystring: 'a=1%26b=2' }],
      [{ uri: '/a', querystring: 'b' }, { uri: '/a?b', querystring: '' }],
      [{ uri: '/a","b' }, { uri: '/a', scope: 'b' }],
    ];
    for (const [a, b] of pairs) expect(cacheKey(everything, req(a), 'identity')).not.toBe(cacheKey(everything, req(b), 'identity'));
  });
});
