import { describe, test, expect } from 'vitest';
import { ResponsePolicy, type PolicyRequest, type TtlBounds } from '../../src/cache/response-policy.ts';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const S = 1000;
const httpDate = (ms: number) => new Date(ms).toUTCString();

/** UseOriginCacheControlHeaders: exactly what the origin says. */
const ORIGIN: TtlBounds = { minTtlS: 0, defaultTtlS: 0, maxTtlS: 31_536_000 };
/** CachingOptimized. */
const OPTIMIZED: TtlBounds = { minTtlS: 1, defaultTtlS: 86_400, maxTtlS: 31_536_000 };
const DISABLED: TtlBounds = { minTtlS: 0, defaultTtlS: 0, maxTtlS: 0 };

const GET: PolicyRequest = { method: 'GET', path: '/a', headers: ['Host', 'example.com'] };
const withHeaders = (...headers: string[]): PolicyRequest => ({ ...GET, headers: ['Host', 'example.com', ...headers] });

/** A policy for a response received at T0 (request sent at T0) with a Date of T0 unless given. */
function stored(headers: string[], opts: { status?: number; ttl?: TtlBounds; req?: PolicyRequest; date?: boolean } = {}): ResponsePolicy | undefined {
  const all = opts.date === false || headers.some((h, i) => i % 2 === 0 && h.toLowerCase() === 'date') ? headers : [...headers, 'Date', httpDate(T0)];
  return ResponsePolicy.forResponse(opts.req ?? GET, { status: opts.status ?? 200, headers: all }, opts.ttl ?? ORIGIN, T0, T0);
}
function mustStore(headers: string[], opts: Parameters<typeof stored>[1] = {}): ResponsePolicy {
  const p = stored(headers, opts);
  if (p === undefined) throw new Error(`expected ${JSON.stringify(headers)} to be storable`);
  return p;
}
const stateAt = (p: ResponsePolicy, atMs: number, req: PolicyRequest = GET) => p.freshness(req, atMs).state;
const header = (list: readonly string[], lower: string) => {
  const values: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (list[i]!.toLowerCase() === lower) values.push(list[i + 1]!);
  return values;
};

describe('explicit freshness', () => {
  test('max-age makes a response fresh until it is that old', () => {
    const p = mustStore(['Cache-Control', 'max-age=60']);
    expect(p.freshness(GET, T0 + 59 * S)).toEqual({ state: 'fresh', ageS: 59, ttlS: 60 });
    expect(p.freshness(GET, T0 + 60 * S)).toEqual({ state: 'stale', ageS: 60, ttlS: 60 });
  });
  test('s-maxage wins over max-age for this shared cache, either way round', () => {
    expect(mustStore(['Cache-Control', 'max-age=3600, s-maxage=1']).freshness(GET, T0).ttlS).toBe(1);
    expect(mustStore(['Cache-Control', 's-maxage=3600', 'Cache-Control', 'max-age=1']).freshness(GET, T0).ttlS).toBe(3600);
  });
  test('max-age wins over Expires', () => {
    expect(mustStore(['Cache-Control', 'max-age=3600', 'Expires', httpDate(T0 - 10_000 * S)]).freshness(GET, T0).ttlS).toBe(3600);
  });
  test('Expires counts from Date, not from the local clock', () => {
    // The origin's clock is 100 s behind ours: Expires 60 s after its Date still means 60 s.
    const p = mustStore(['Expires', httpDate(T0 - 40 * S), 'Date', httpDate(T0 - 100 * S), 'ETag', '"v"']);
    expect(p.freshness(GET, T0).ttlS).toBe(60);
  });
  test('Expires in the rfc850 and asctime forms is understood', () => {
    const asctime = 'Wed Jan  1 13:00:00 2025';
    expect(mustStore(['Expires', asctime]).freshness(GET, T0).ttlS).toBe(3600);
    expect(mustStore(['Expires', 'Wednesday, 01-Jan-25 13:00:00 GMT']).freshness(GET, T0).ttlS).toBe(3600);
  });
  test.each([['0'], ['2050-01-01'], ['Thu, 18 Aug 50 02:01:18 GMT'], ['Thu, 18 Aug 2050 02:01:18 UTC']])(
    'an invalid Expires (%j) means already expired, though Date.parse would read a date into it',
    (expires) => {
      const p = mustStore(['Expires', expires, 'ETag', '"v"']);
      expect(p.freshness(GET, T0)).toEqual({ state: 'stale', ageS: 0, ttlS: 0 });
      // And with nothing to revalidate with, it is not worth storing at all.
      expect(stored(['Expires', expires])).toBeUndefined();
    },
  );
  test('two Expires fields are invalid, hence expired', () => {
    expect(mustStore(['Expires', httpDate(T0 + 3600 * S), 'Expires', httpDate(T0 + 7200 * S), 'ETag', '"v"']).freshness(GET, T0).state).toBe('stale');
  });
  test('Cache-Control directives are case-insensitive', () => {
    expect(mustStore(['Cache-Control', 'MaX-aGe=3600']).freshness(GET, T0).ttlS).toBe(3600);
    expect(stored(['Cache-Control', 'max-age=3600, No-StOrE'])).toBeUndefined();
    expect(mustStore(['Cache-Control', 'max-age=3600, No-CaChE', 'ETag', '"v"']).freshness(GET, T0 + S).state).toBe('stale');
    expect(stored(['Cache-Control', 'PRIVATE, max-age=3600'])).toBeUndefined();
  });
  test('max-age inside a quoted string is ignored', () => {
    expect(mustStore(['Cache-Control', 'extension="max-age=100", max-age=1']).freshness(GET, T0).ttlS).toBe(1);
    expect(mustStore(['Cache-Control', 'max-age="1", extension="max-age=100"']).freshness(GET, T0).ttlS).toBe(1);
  });
  test('an invalid max-age gives no freshness', () => {
    for (const cc of ['max-age=a100', 'max-age=100a', 'max-age=-100', "max-age='100'", 'max-age =100', 'max-age= 100']) {
      expect(stored(['Cache-Control', cc]), cc).toBeUndefined();
    }
  });
  test('max-age=0 with a future Expires is stale', () => {
    expect(mustStore(['Cache-Control', 'max-age=0', 'Expires', httpDate(T0 + 10_000 * S), 'ETag', '"v"']).freshness(GET, T0).state).toBe('stale');
  });
  test('the first of two max-age directives counts', () => {
    expect(mustStore(['Cache-Control', 'max-age=1800, max-age=1']).freshness(GET, T0).ttlS).toBe(1800);
  });
});

describe('age (RFC 9111 §4.2.3)', () => {
  test('an Age header counts against the lifetime', () => {
    const p = mustStore(['Cache-Control', 'max-age=3600', 'Age', '1800', 'ETag', '"v"']);
    expect(p.freshness(GET, T0)).toEqual({ state: 'fresh', ageS: 1800, ttlS: 3600 });
    expect(stored(['Cache-Control', 'max-age=10', 'Age', '15'])).toBeUndefined();
  });
  test.each([['abc'], ['-7200'], ['7200.0'], ['7200,0'], ['0, 7200'], [' 7200x']])('an Age that is not a non-negative integer (%j) is ignored', (age) => {
    expect(mustStore(['Cache-Control', 'max-age=3600', 'Age', age]).freshness(GET, T0)).toEqual({ state: 'fresh', ageS: 0, ttlS: 3600 });
  });
  test('two Age fields combine into a list, which is not an integer', () => {
    expect(mustStore(['Cache-Control', 'max-age=3600', 'Age', '7200', 'Age', '0']).freshness(GET, T0).ageS).toBe(0);
  });
  test('a Date in the past makes the response that old on arrival (apparent age)', () => {
    expect(mustStore(['Cache-Control', 'max-age=3600', 'Date', httpDate(T0 - 100 * S)]).freshness(GET, T0).ageS).toBe(100);
  });
  test('the time the origin took to answer is added to Age (response_delay)', () => {
    const p = ResponsePolicy.forResponse(GET, { status: 200, headers: ['Cache-Control', 'max-age=3600', 'Age', '10', 'Date', httpDate(T0)] }, ORIGIN, T0 - 5 * S, T0)!;
    expect(p.freshness(GET, T0).ageS).toBe(15);
  });
  test('the Age a viewer gets is the current age in whole seconds, and Date stays the origin\'s', () => {
    const p = mustStore(['Cache-Control', 'max-age=600', 'Age', '30', 'Date', httpDate(T0)]);
    const headers = p.viewerHeaders(T0 + 2_500);
    expect(header(headers, 'age')).toEqual(['32']);
    expect(header(headers, 'date')).toEqual([httpDate(T0)]);
  });
});

describe('must-revalidate and its kin matter only once stale', () => {
  test.each([['must-revalidate'], ['proxy-revalidate'], ['s-maxage=60']])('%s: fresh while fresh, then never served stale', (directive) => {
    const p = mustStore(['Cache-Control', `max-age=60, ${directive}, stale-while-revalidate=600, stale-if-error=600`, 'ETag', '"v"']);
    expect(stateAt(p, T0 + 30 * S)).toBe('fresh');
    expect(stateAt(p, T0 + 61 * S)).toBe('stale');
    expect(stateAt(p, T0 + 61 * S, withHeaders('Cache-Control', 'max-stale=1000'))).toBe('stale');
    expect(p.staleIfError(GET, T0 + 30 * S)).toBe(true);
    expect(p.staleIfError(GET, T0 + 61 * S)).toBe(false);
    expect(p.staleIfError(withHeaders('Cache-Control', 'stale-if-error=600'), T0 + 61 * S)).toBe(false);
    expect(p.staleAllowed()).toBe(false);
  });
  test('without them a stale response may be served under max-stale', () => {
    const p = mustStore(['Cache-Control', 'max-age=60']);
    expect(stateAt(p, T0 + 100 * S, withHeaders('Cache-Control', 'max-stale=1000'))).toBe('fresh');
    expect(stateAt(p, T0 + 100 * S, withHeaders('Cache-Control', 'max-stale'))).toBe('fresh');
    expect(stateAt(p, T0 + 100 * S, withHeaders('Cache-Control', 'max-stale=10'))).toBe('stale');
    expect(p.staleAllowed()).toBe(true);
  });
  test('no-cache forbids serving stale too', () => {
    expect(mustStore(['Cache-Control', 'no-cache', 'ETag', '"v"']).staleAllowed()).toBe(false);
  });
});

describe('request directives', () => {
  const p = mustStore(['Cache-Control', 'max-age=3600', 'ETag', '"v"']);
  test('no-cache forces revalidation of a fresh response', () => {
    expect(stateAt(p, T0 + S, withHeaders('Cache-Control', 'no-cache'))).toBe('stale');
    expect(stateAt(p, T0 + S, withHeaders('cache-control', 'NO-CACHE'))).toBe('stale');
  });
  test('Pragma: no-cache does the same when there is no Cache-Control (RFC 9111 §5.4)', () => {
    expect(stateAt(p, T0 + S, withHeaders('Pragma', 'no-cache'))).toBe('stale');
    expect(stateAt(p, T0 + S, withHeaders('Pragma', 'no-cache', 'Cache-Control', 'max-stale'))).toBe('fresh');
  });
  test('max-age: a response older than that is not acceptable; max-age=0 means any age', () => {
    expect(stateAt(p, T0 + 1, withHeaders('Cache-Control', 'max-age=0'))).toBe('stale');
    expect(stateAt(p, T0 + 1800 * S, withHeaders('Cache-Control', 'max-age=600'))).toBe('stale');
    expect(stateAt(p, T0 + 300 * S, withHeaders('Cache-Control', 'max-age=600'))).toBe('fresh');
  });
  test('min-fresh: the response must stay fresh that much longer', () => {
    expect(stateAt(p, T0 + 1000 * S, withHeaders('Cache-Control', 'min-fresh=3000'))).toBe('stale');
    expect(stateAt(p, T0 + 1000 * S, withHeaders('Cache-Control', 'min-fresh=2000'))).toBe('fresh');
  });
  test('no-store on the request means its response is not stored', () => {
    expect(stored(['Cache-Control', 'max-age=3600'], { req: withHeaders('Cache-Control', 'no-store') })).toBeUndefined();
  });
});

describe('stale-while-revalidate and stale-if-error (RFC 5861)', () => {
  const p = mustStore(['Cache-Control', 'max-age=60, stale-while-revalidate=30, stale-if-error=300']);
  test('within the swr window a stale response may be served while it is refreshed', () => {
    expect(stateAt(p, T0 + 70 * S)).toBe('stale-while-revalidate');
    expect(stateAt(p, T0 + 91 * S)).toBe('stale');
  });
  test('a request that asks for revalidation does not get swr', () => {
    expect(stateAt(p, T0 + 70 * S, withHeaders('Cache-Control', 'no-cache'))).toBe('stale');
  });
  test('stale-if-error allows serving it on an origin error for its window', () => {
    expect(p.staleIfError(GET, T0 + 200 * S)).toBe(true);
    expect(p.staleIfError(GET, T0 + 361 * S)).toBe(false);
  });
  test('the request may grant a stale-if-error window of its own', () => {
    const plain = mustStore(['Cache-Control', 'max-age=60']);
    expect(plain.staleIfError(GET, T0 + 100 * S)).toBe(false);
    expect(plain.staleIfError(withHeaders('Cache-Control', 'stale-if-error=100'), T0 + 100 * S)).toBe(true);
  });
  test('the entry lives to the end of the larger window, or maxTtlS past staleness when that is longer', () => {
    expect(p.expiresAtMs()).toBe(T0 + (60 + 31_536_000) * S);
    const short = mustStore(['Cache-Control', 'max-age=60, stale-if-error=300'], { ttl: { minTtlS: 0, defaultTtlS: 0, maxTtlS: 100 } });
    expect(short.expiresAtMs()).toBe(T0 + 360 * S);
  });
});

describe('what may be stored (RFC 9111 §3)', () => {
  test('no-store and private are never stored', () => {
    expect(stored(['Cache-Control', 'no-store'])).toBeUndefined();
    expect(stored(['Cache-Control', 'private, max-age=3600'])).toBeUndefined();
  });
  test('must-understand: an unknown status is not stored; a known one is, and no-store gives way (RFC 9111 §5.2.2.3)', () => {
    expect(stored(['Cache-Control', 'max-age=3600, must-understand'], { status: 599 })).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=3600'], { status: 599 })).toBeDefined();
    expect(stored(['Cache-Control', 'max-age=3600, must-understand, no-store'])).toBeDefined();
  });
  test('Surrogate-Control directives targeted at another surrogate are ignored; ours apply (Edge Architecture §3)', () => {
    expect(mustStore(['Cache-Control', 'no-store', 'Surrogate-Control', 'max-age=600;verge']).freshness(GET, T0).ttlS).toBe(600);
    expect(stored(['Cache-Control', 'no-store', 'Surrogate-Control', 'max-age=600;other'])).toBeUndefined();
  });
  test('only GET responses are stored', () => {
    expect(stored(['Cache-Control', 'max-age=60'], { req: { ...GET, method: 'HEAD' } })).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=60'], { req: { ...GET, method: 'POST' } })).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=60'], { req: { ...GET, method: 'get' } })).toBeDefined();
  });
  test('any final status with explicit freshness is stored, not only those http-cache-semantics lists', () => {
    for (const status of [200, 299, 302, 307, 400, 403, 499, 500, 502, 503, 504, 599]) {
      expect(stored(['Cache-Control', 'max-age=60'], { status }), String(status)).toBeDefined();
    }
  });
  test('206, 304 and interim responses are never stored on their own', () => {
    for (const status of [103, 206, 304]) expect(stored(['Cache-Control', 'max-age=60'], { status }), String(status)).toBeUndefined();
  });
  test('without explicit freshness only heuristically cacheable statuses (RFC 9110 §15.1) or public responses are stored', () => {
    const lm = ['Last-Modified', httpDate(T0 - 86_400 * S)];
    for (const status of [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]) {
      expect(stored(lm, { status, ttl: OPTIMIZED }), String(status)).toBeDefined();
    }
    for (const status of [201, 202, 302, 403, 500, 502, 503, 504, 599]) {
      expect(stored(lm, { status, ttl: OPTIMIZED }), String(status)).toBeUndefined();
    }
    expect(stored([...lm, 'Cache-Control', 'public'], { status: 599, ttl: OPTIMIZED })).toBeDefined();
  });
  test('a request with Authorization is stored only when public, s-maxage or must-revalidate allow it (§3.5)', () => {
    const req = withHeaders('Authorization', 'Bearer x');
    expect(stored(['Cache-Control', 'max-age=60'], { req })).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=60, public'], { req })).toBeDefined();
    expect(stored(['Cache-Control', 's-maxage=60'], { req })).toBeDefined();
    expect(stored(['Cache-Control', 'max-age=60, must-revalidate'], { req })).toBeDefined();
  });
  test('a response setting a cookie is stored only when the origin gives it explicit freshness or public', () => {
    expect(stored(['Set-Cookie', 'session=1'], { ttl: OPTIMIZED })).toBeUndefined();
    expect(stored(['Set-Cookie', 'session=1', 'Last-Modified', httpDate(T0 - 86_400 * S)], { ttl: OPTIMIZED })).toBeUndefined();
    expect(stored(['Cache-Control', 'no-cache', 'Set-Cookie', 'session=1', 'ETag', '"v"'], { ttl: OPTIMIZED })).toBeUndefined();
    expect(header(mustStore(['Cache-Control', 'max-age=60', 'Set-Cookie', 'theme=dark']).storedHeaders(), 'set-cookie')).toEqual(['theme=dark']);
    expect(stored(['CDN-Cache-Control', 'max-age=60', 'Set-Cookie', 'theme=dark'])).toBeDefined();
    expect(stored(['Cache-Control', 'public', 'Set-Cookie', 'theme=dark'], { ttl: OPTIMIZED })).toBeDefined();
  });
  test('Vary: * is never stored, however it is written', () => {
    for (const vary of [['Vary', '*'], ['Vary', 'Accept, *'], ['Vary', '', 'Vary', '*']]) expect(stored(['Cache-Control', 'max-age=60', ...vary])).toBeUndefined();
  });
  test('a response already stale on arrival with nothing to revalidate with is not stored', () => {
    expect(stored(['Cache-Control', 'max-age=0'])).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=0', 'ETag', '"v"'])).toBeDefined();
    expect(stored(['Cache-Control', 'max-age=0, stale-if-error=60'])).toBeDefined();
  });
});

describe("CloudFront's TTL bounds", () => {
  const bounds: TtlBounds = { minTtlS: 60, defaultTtlS: 600, maxTtlS: 3600 };
  test('an origin max-age, s-maxage or Expires is clamped into [minTtlS, maxTtlS]', () => {
    expect(mustStore(['Cache-Control', 'max-age=10'], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(60);
    expect(mustStore(['Cache-Control', 'max-age=100000'], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(3600);
    expect(mustStore(['Cache-Control', 's-maxage=1'], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(60);
    expect(mustStore(['Expires', httpDate(T0 + 86_400 * S)], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(3600);
    expect(mustStore(['Cache-Control', 'max-age=0'], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(60);
  });
  test('without explicit freshness defaultTtlS applies', () => {
    expect(mustStore([], { ttl: bounds }).freshness(GET, T0).ttlS).toBe(600);
  });
  test('defaultTtlS 0 caches nothing without explicit freshness', () => {
    expect(stored([], { ttl: ORIGIN })).toBeUndefined();
    expect(mustStore(['ETag', '"v"'], { ttl: ORIGIN }).freshness(GET, T0).state).toBe('stale');
  });
  test('maxTtlS 0 (CachingDisabled) never stores', () => {
    expect(stored(['Cache-Control', 'max-age=3600, public'], { ttl: DISABLED })).toBeUndefined();
  });
  test('no-cache: with minTtlS 0 every use is revalidated; with minTtlS > 0 it is fresh for minTtlS', () => {
    const p0 = mustStore(['Cache-Control', 'max-age=3600, no-cache', 'ETag', '"v"'], { ttl: ORIGIN });
    expect(p0.freshness(GET, T0).state).toBe('stale');
    const p60 = mustStore(['Cache-Control', 'max-age=3600, no-cache'], { ttl: bounds });
    expect(p60.freshness(GET, T0 + 59 * S).state).toBe('fresh');
    expect(p60.freshness(GET, T0 + 61 * S).state).toBe('stale');
  });
  test('no-store and private stay uncached even with minTtlS > 0 (unlike CloudFront)', () => {
    expect(stored(['Cache-Control', 'no-store'], { ttl: bounds })).toBeUndefined();
    expect(stored(['Cache-Control', 'private'], { ttl: bounds })).toBeUndefined();
  });
  test('heuristic freshness is 10 % of the time since Last-Modified, never more than defaultTtlS', () => {
    const day = 86_400;
    expect(mustStore(['Last-Modified', httpDate(T0 - day * S)], { ttl: OPTIMIZED }).freshness(GET, T0).ttlS).toBe(day / 10);
    expect(mustStore(['Last-Modified', httpDate(T0 - 100 * day * S)], { ttl: OPTIMIZED }).freshness(GET, T0).ttlS).toBe(day);
    // minTtlS still applies: modified 5 s ago would give 0.5 s.
    expect(mustStore(['Last-Modified', httpDate(T0 - 5 * S)], { ttl: OPTIMIZED }).freshness(GET, T0).ttlS).toBe(1);
  });
  test('a Last-Modified after Date gives no heuristic of its own: defaultTtlS', () => {
    expect(mustStore(['Last-Modified', httpDate(T0 + 60 * S)], { ttl: OPTIMIZED }).freshness(GET, T0).ttlS).toBe(86_400);
  });
});

describe('CDN-Cache-Control and Surrogate-Control (RFC 9213)', () => {
  test('CDN-Cache-Control takes precedence over Cache-Control, longer or shorter', () => {
    expect(mustStore(['Cache-Control', 'max-age=1', 'CDN-Cache-Control', 'max-age=3600']).freshness(GET, T0).ttlS).toBe(3600);
    expect(mustStore(['Cache-Control', 'max-age=3600', 'CDN-Cache-Control', 'max-age=1']).freshness(GET, T0).ttlS).toBe(1);
  });
  test('it replaces Cache-Control entirely: a fresh CDN-Cache-Control stores despite Cache-Control: no-store', () => {
    expect(mustStore(['Cache-Control', 'no-store', 'CDN-Cache-Control', 'max-age=10000']).freshness(GET, T0).ttlS).toBe(10_000);
  });
  test('and Expires: a past Expires does not shorten it', () => {
    expect(mustStore(['CDN-Cache-Control', 'max-age=3600', 'Expires', '0']).freshness(GET, T0).ttlS).toBe(3600);
  });
  test('its no-store, private and no-cache apply whatever Cache-Control says', () => {
    expect(stored(['Cache-Control', 'max-age=10000', 'CDN-Cache-Control', 'no-store'])).toBeUndefined();
    expect(stored(['Cache-Control', 'max-age=10000', 'CDN-Cache-Control', 'private'])).toBeUndefined();
    expect(mustStore(['Cache-Control', 'max-age=10000', 'CDN-Cache-Control', 'no-cache', 'ETag', '"v"']).freshness(GET, T0 + S).state).toBe('stale');
  });
  test('an invalid CDN-Cache-Control is ignored and Cache-Control applies', () => {
    expect(stored(['Cache-Control', 'no-store', 'CDN-Cache-Control', 'max-age=10000, &&&&&'])).toBeUndefined();
    expect(stored(['Cache-Control', 'no-store', 'CDN-Cache-Control', 'max-age="10000"'])).toBeUndefined();
    expect(mustStore(['Cache-Control', 'max-age=5', 'CDN-Cache-Control', 'max-age =100']).freshness(GET, T0).ttlS).toBe(5);
  });
  test('the Age header still counts against it', () => {
    expect(stored(['CDN-Cache-Control', 'max-age=3600', 'Age', '7200'])).toBeUndefined();
  });
  test('Surrogate-Control applies when there is no CDN-Cache-Control, like it', () => {
    expect(mustStore(['Cache-Control', 'max-age=1', 'Surrogate-Control', 'max-age=3600']).freshness(GET, T0).ttlS).toBe(3600);
    expect(mustStore(['Cache-Control', 'max-age=3600', 'Surrogate-Control', 'MaX-aGe=1']).freshness(GET, T0).ttlS).toBe(1);
    expect(stored(['Cache-Control', 'max-age=10000', 'Surrogate-Control', 'no-store'])).toBeUndefined();
    expect(mustStore(['Surrogate-Control', 'max-age=60', 'CDN-Cache-Control', 'max-age=30']).freshness(GET, T0).ttlS).toBe(30);
  });
  test('neither reaches the viewer; Cache-Control does', () => {
    const p = mustStore(['Cache-Control', 'max-age=1', 'CDN-Cache-Control', 'max-age=60', 'Surrogate-Control', 'max-age=60']);
    const headers = p.viewerHeaders(T0);
    expect(header(headers, 'cdn-cache-control')).toEqual([]);
    expect(header(headers, 'surrogate-control')).toEqual([]);
    expect(header(headers, 'cache-control')).toEqual(['max-age=1']);
  });
});

describe('the headers stored (RFC 9111 §3.1)', () => {
  test('hop-by-hop fields, fields named by Connection, Proxy-* and Age are not stored', () => {
    const p = mustStore(['Cache-Control', 'max-age=60', 'Connection', 'a, b', 'a', '1', 'b', '2', 'c', '3', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'Proxy-Authenticate', 'Basic', 'Age', '5']);
    const headers = p.storedHeaders();
    for (const gone of ['connection', 'a', 'b', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'age']) expect(header(headers, gone), gone).toEqual([]);
    expect(header(headers, 'c')).toEqual(['3']);
  });
  test('fields named by a qualified no-cache or private are not stored, and the response stays fresh', () => {
    const p = mustStore(['Cache-Control', 'no-cache="a, b"', 'Cache-Control', 'private="Set-Cookie2", max-age=3600', 'a', '1', 'b', '2', 'c', '3', 'Set-Cookie2', 'x=y']);
    expect(p.freshness(GET, T0 + S).state).toBe('fresh');
    const headers = p.storedHeaders();
    expect(header(headers, 'a')).toEqual([]);
    expect(header(headers, 'b')).toEqual([]);
    expect(header(headers, 'set-cookie2')).toEqual([]);
    expect(header(headers, 'c')).toEqual(['3']);
  });
  test('a response without Date gets one from the time it arrived (RFC 9110 §6.6.1)', () => {
    const p = mustStore(['Cache-Control', 'max-age=60'], { date: false });
    expect(header(p.storedHeaders(), 'date')).toEqual([httpDate(T0)]);
  });
  test('an invalid Date is replaced the same way', () => {
    const p = mustStore(['Cache-Control', 'max-age=60', 'Date', 'yesterday']);
    expect(header(p.storedHeaders(), 'date')).toEqual([httpDate(T0)]);
  });
});

describe('revalidation (RFC 9111 §4.3)', () => {
  const LM = httpDate(T0 - 86_400 * S);
  const p = mustStore(['Cache-Control', 'max-age=60', 'ETag', '"v1"', 'Last-Modified', LM, 'Content-Length', '5', 'X-Version', 'a', 'Content-Type', 'text/plain']);

  test('the conditional request carries the stored validators, not the client\'s', () => {
    const headers = p.revalidationHeaders(withHeaders('If-None-Match', '"other"', 'If-Modified-Since', httpDate(T0), 'Range', 'bytes=0-1', 'If-Range', '"v1"', 'Connection', 'close', 'Accept', '*/*'));
    expect(header(headers, 'if-none-match')).toEqual(['"v1"']);
    expect(header(headers, 'if-modified-since')).toEqual([LM]);
    expect(header(headers, 'range')).toEqual([]);
    expect(header(headers, 'if-range')).toEqual([]);
    expect(header(headers, 'connection')).toEqual([]);
    expect(header(headers, 'accept')).toEqual(['*/*']);
    expect(header(headers, 'host')).toEqual(['example.com']);
  });
  test('without validators nothing conditional is added', () => {
    const plain = mustStore(['Cache-Control', 'max-age=60']);
    const headers = plain.revalidationHeaders(GET);
    expect(header(headers, 'if-none-match')).toEqual([]);
    expect(header(headers, 'if-modified-since')).toEqual([]);
  });

  test("a 304's headers replace the stored ones, except those the stored body depends on", () => {
    const at = T0 + 120 * S;
    const res304 = { status: 304, headers: ['ETag', '"v1"', 'Cache-Control', 'max-age=600', 'X-Version', 'b', 'Content-Length', '0', 'Content-Type', 'text/html', 'Date', httpDate(at), 'Connection', 'close'] };
    const { policy, headers, modified } = p.revalidated(GET, res304, at, at);
    expect(modified).toBe(false);
    expect(header(headers, 'x-version')).toEqual(['b']);
    expect(header(headers, 'content-type')).toEqual(['text/html']);
    expect(header(headers, 'cache-control')).toEqual(['max-age=600']);
    expect(header(headers, 'content-length')).toEqual(['5']);
    expect(header(headers, 'last-modified')).toEqual([LM]);
    expect(header(headers, 'connection')).toEqual([]);
    expect(header(headers, 'date')).toEqual([httpDate(at)]);
    // Freshness restarts from the 304, with its new lifetime.
    expect(policy.freshness(GET, at + 300 * S)).toEqual({ state: 'fresh', ageS: 300, ttlS: 600 });
    expect(policy.storedHeaders()).toEqual(headers);
  });
  test('a 304 without Date dates the response from when the 304 arrived', () => {
    const at = T0 + 120 * S;
    const { headers, policy } = p.revalidated(GET, { status: 304, headers: ['ETag', '"v1"'] }, at, at);
    expect(header(headers, 'date')).toEqual([httpDate(at)]);
    expect(policy.freshness(GET, at + 10 * S)).toEqual({ state: 'fresh', ageS: 10, ttlS: 60 });
  });
  test('a 304 dated before the stored response does not move Date backwards', () => {
    const at = T0 + 120 * S;
    const { headers } = p.revalidated(GET, { status: 304, headers: ['ETag', '"v1"', 'Date', httpDate(T0 - 3600 * S)] }, at, at);
    expect(header(headers, 'date')).toEqual([httpDate(T0)]);
  });
  test('a 304 matching by Last-Modified, or carrying no validator, selects the stored response', () => {
    const at = T0 + 120 * S;
    expect(p.revalidated(GET, { status: 304, headers: ['Last-Modified', LM, 'Date', httpDate(at)] }, at, at).modified).toBe(false);
    expect(p.revalidated(GET, { status: 304, headers: ['Date', httpDate(at)] }, at, at).modified).toBe(false);
    expect(p.revalidated(GET, { status: 304, headers: ['ETag', 'W/"v1"', 'Date', httpDate(at)] }, at, at).modified).toBe(false);
  });
  test('a 304 naming another representation, or a 200, leaves the stored response untouched', () => {
    const at = T0 + 120 * S;
    const other = p.revalidated(GET, { status: 304, headers: ['ETag', '"v2"', 'X-Version', 'c'] }, at, at);
    expect(other.modified).toBe(true);
    expect(other.policy).toBe(p);
    expect(header(other.headers, 'x-version')).toEqual(['a']);
    expect(p.revalidated(GET, { status: 200, headers: ['ETag', '"v2"'] }, at, at).modified).toBe(true);
  });
  test('a 304 saying no-store yields a policy that must not be kept', () => {
    const at = T0 + 120 * S;
    const { policy, modified } = p.revalidated(GET, { status: 304, headers: ['ETag', '"v1"', 'Cache-Control', 'no-store'] }, at, at);
    expect(modified).toBe(false);
    expect(policy.storable()).toBe(false);
  });
  test('a stale entry is kept another maxTtlS: for revalidation, or to serve when the origin is unreachable, unless it forbids stale use', () => {
    const bounds: TtlBounds = { minTtlS: 0, defaultTtlS: 0, maxTtlS: 1000 };
    expect(mustStore(['Cache-Control', 'max-age=60', 'ETag', '"v"'], { ttl: bounds }).expiresAtMs()).toBe(T0 + 1060 * S);
    expect(mustStore(['Cache-Control', 'max-age=60'], { ttl: bounds }).expiresAtMs()).toBe(T0 + 1060 * S);
    expect(mustStore(['Cache-Control', 'max-age=60, must-revalidate'], { ttl: bounds }).expiresAtMs()).toBe(T0 + 60 * S);
  });
});

describe('serialisation', () => {
  test('fromObject(toObject()) through JSON gives the same decisions', () => {
    const p = mustStore(['Cache-Control', 'max-age=60, stale-while-revalidate=30', 'ETag', '"v"', 'Vary', 'Accept-Language']);
    const copy = ResponsePolicy.fromObject(JSON.parse(JSON.stringify(p.toObject())));
    expect(copy.toObject()).toEqual(p.toObject());
    for (const at of [T0, T0 + 70 * S, T0 + 100 * S]) expect(copy.freshness(GET, at)).toEqual(p.freshness(GET, at));
    expect(copy.viewerHeaders(T0 + 5 * S)).toEqual(p.viewerHeaders(T0 + 5 * S));
    expect(copy.revalidationHeaders(GET)).toEqual(p.revalidationHeaders(GET));
    expect(copy.varyNames()).toEqual(['accept-language']);
    expect(copy.expiresAtMs()).toBe(p.expiresAtMs());
  });
  test('anything else is refused with a TypeError', () => {
    for (const bad of [null, 1, 'x', {}, { v: 2 }, { ...(mustStore(['Cache-Control', 'max-age=1']).toObject() as object), headers: ['odd'] }]) {
      expect(() => ResponsePolicy.fromObject(bad)).toThrow(TypeError);
    }
  });
});
