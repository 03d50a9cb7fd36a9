/**
 * The RFC 9111 decisions for one stored response, as a shared cache with CloudFront's TTL rules:
 * may it be stored, is it fresh for this request, what to send to revalidate it, how a 304 updates
 * it, what the viewer gets. Pure: every instant is passed in, nothing is read from the clock.
 *
 * http-cache-semantics (shared: true) decides storability (RFC 9111 §3, including the Authorization
 * rule of §3.5) and matches a 304 to the stored response (§4.3.4). Its inputs are normalised first,
 * because left to itself it gets these wrong: it parses Cache-Control case-sensitively and splits
 * quoted strings, reads dates with Date.parse, takes `Age: 1.5` or `-3` as a number, always
 * revalidates must-revalidate responses (even fresh ones), treats proxy-revalidate as max-age=0,
 * stores only the statuses it lists (not a 500 with max-age), ignores Date in the age calculation and
 * rewrites Date on every hit. Everything else — freshness lifetime, age, targeted fields
 * (CDN-Cache-Control, Surrogate-Control), CloudFront's TTL bounds, stale serving, the 304 merge and
 * the headers to store and to send — is computed here, each step citing its rule.
 * docs/cache.md "Freshness and the cache key" explains the choices.
 */
import CachePolicy from 'http-cache-semantics';
import { stripHopByHop } from '../pipeline/header-list.ts';
import { deltaSeconds, fieldNames, parseCacheControl, parseSurrogateControl, parseTargetedField } from './cache-directives.ts';
import { formatHttpDate, parseHttpDate } from './http-date.ts';
import { varyNames as parseVaryNames, type RawHeaders } from './variant-key.ts';

export { varyNames, variantKey } from './variant-key.ts';
export type { RawHeaders } from './variant-key.ts';

export interface PolicyRequest {
  readonly method: string;
  /** The URI plus ?query. */
  readonly path: string;
  readonly headers: RawHeaders;
}
export interface PolicyResponse {
  readonly status: number;
  readonly headers: RawHeaders;
}
/** The behavior's cache policy TTLs (CloudFront's MinTTL, DefaultTTL, MaxTTL), in seconds. */
export interface TtlBounds {
  readonly minTtlS: number;
  readonly defaultTtlS: number;
  readonly maxTtlS: number;
}
export type Freshness =
  | { readonly state: 'fresh'; readonly ageS: number; readonly ttlS: number }
  /** May be served now; refresh in the background (RFC 5861 §3). */
  | { readonly state: 'stale-while-revalidate'; readonly ageS: number; readonly ttlS: number }
  /** Must be revalidated before use. */
  | { readonly state: 'stale'; readonly ageS: number; readonly ttlS: number };

/** RFC 9110 §15.1: statuses that may be reused with heuristic freshness. */
const HEURISTICALLY_CACHEABLE = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501]);
/**
 * The final statuses this cache understands the caching rules of: those RFC 9110 §15 defines. With
 * `must-understand`, any other is not stored, and no-store gives way for these (RFC 9111 §5.2.2.3).
 */
const UNDERSTOOD_STATUSES = new Set([
  200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426,
  500, 501, 502, 503, 504, 505,
]);
/** The statuses http-cache-semantics 4.3 agrees to store; see libraryStatus(). */
const LIBRARY_UNDERSTOOD = new Set([200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501]);
/** RFC 9111 §3.1: specific to the proxy that forwarded the request; never stored. */
const PROXY_FIELDS = ['proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization'];
/**
 * RFC 9111 §3.2: a 304 updates every stored field except those the stored body depends on
 * (its length, coding and range) and framing; Age is not kept in the headers at all (it is state).
 */
const NOT_UPDATED_BY_304 = new Set(['content-length', 'content-encoding', 'content-range', 'transfer-encoding', 'age', ...PROXY_FIELDS]);
/** RFC 9213 and the Edge Architecture spec: targeted at this cache, never forwarded to viewers. */
const TARGETED_FIELDS = new Set(['cdn-cache-control', 'surrogate-control']);
/** The client's own validators and ranges: a revalidation asks about the stored response only. */
const CLIENT_CONDITIONALS = new Set(['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range']);
/** RFC 9111 §4.2.2: the typical heuristic is 10 % of the time since Last-Modified. */
const HEURISTIC_FRACTION = 0.1;

/** The serialised form (toObject): plain JSON. */
interface PolicyState {
  readonly v: 1;
  readonly status: number;
  /** What storedHeaders() returns. */
  readonly headers: string[];
  readonly vary: string[] | '*';
  readonly ttl: TtlBounds;
  readonly requestTimeMs: number;
  readonly responseTimeMs: number;
  /** RFC 9111 §4.2.3 date_value: the Date header, or the response time when it has none. */
  readonly dateMs: number;
  /** RFC 9111 §4.2.3 age_value: the Age header when it is a non-negative integer, else 0. */
  readonly ageValueS: number;
  /** The freshness lifetime after CloudFront's TTL bounds (may be fractional when heuristic). */
  readonly lifetimeS: number;
  readonly swrS: number;
  readonly sieS: number;
  /** must-revalidate, proxy-revalidate, s-maxage or no-cache: never served stale (RFC 9111 §4.2.4). */
  readonly noStale: boolean;
  /** Whether it has an ETag or Last-Modified to revalidate with. */
  readonly validator: boolean;
  readonly storable: boolean;
}

export class ResponsePolicy {
  readonly #s: PolicyState;
  #library: CachePolicy | undefined;

  private constructor(state: PolicyState) {
    this.#s = state;
  }

  /** undefined when RFC 9111 §3 (shared cache) or the TTL bounds forbid storing it. */
  static forResponse(req: PolicyRequest, res: PolicyResponse, ttl: TtlBounds, requestTimeMs: number, responseTimeMs: number): ResponsePolicy | undefined {
    if (nothingToStoreBy(res.headers, ttl)) return undefined;
    const state = evaluate(req, res.status, res.headers, ttl, requestTimeMs, responseTimeMs);
    return state.storable ? new ResponsePolicy(state) : undefined;
  }

  /** Rebuilds a policy from toObject()'s output; throws TypeError when `o` is not one. */
  static fromObject(o: unknown): ResponsePolicy {
    if (!isPolicyState(o)) throw new TypeError('not a serialised ResponsePolicy (version 1)');
    return new ResponsePolicy(o);
  }

  toObject(): unknown {
    return { ...this.#s, headers: [...this.#s.headers], vary: this.#s.vary === '*' ? '*' : [...this.#s.vary], ttl: { ...this.#s.ttl } };
  }

  /**
   * Whether it may be stored. Always true for forResponse's policies; revalidated() may return one
   * that may not (the 304 said no-store or private): serve it this once, then delete the entry.
   */
  storable(): boolean {
    return this.#s.storable;
  }

  /**
   * How the stored response may be used for `req` at `nowMs` (RFC 9111 §4.2, §4.2.4; RFC 5861).
   * The request's no-cache (or Pragma: no-cache when it has no Cache-Control: RFC 7234 §5.4's rule,
   * which RFC 9111 §5.4 deprecates but HTTP/1.0 clients still rely on), max-age and
   * min-fresh can only make it stale; its max-stale lets a stale response count as fresh, unless
   * the response forbids serving it stale. must-revalidate and its kin matter only once stale.
   */
  freshness(req: PolicyRequest, nowMs: number): Freshness {
    const ageMs = this.#currentAgeMs(nowMs);
    const lifetimeMs = this.#s.lifetimeS * 1000;
    const result = (state: Freshness['state']): Freshness => ({ state, ageS: Math.floor(ageMs / 1000), ttlS: Math.floor(this.#s.lifetimeS) });
    const ccField = fieldValue(req.headers, 'cache-control');
    const cc = parseCacheControl(ccField);
    if (cc.has('no-cache')) return result('stale');
    if (ccField === undefined && /(^|[\s,])no-cache(\s|,|$)/i.test(fieldValue(req.headers, 'pragma') ?? '')) return result('stale');
    // Compared in milliseconds: max-age=0 means "nothing cached", not "anything under a second old".
    const maxAgeS = deltaSeconds(cc.get('max-age'));
    if (maxAgeS !== undefined && ageMs > maxAgeS * 1000) return result('stale');
    const minFreshS = deltaSeconds(cc.get('min-fresh'));
    if (minFreshS !== undefined && lifetimeMs - ageMs < minFreshS * 1000) return result('stale');
    if (ageMs < lifetimeMs) return result('fresh');
    if (this.#s.noStale) return result('stale');
    const maxStale = cc.get('max-stale');
    if (maxStale === true) return result('fresh');
    const maxStaleS = deltaSeconds(maxStale);
    if (maxStaleS !== undefined && ageMs - lifetimeMs <= maxStaleS * 1000) return result('fresh');
    if (ageMs < lifetimeMs + this.#s.swrS * 1000) return result('stale-while-revalidate');
    return result('stale');
  }

  /**
   * Whether the stored response may be served because the origin failed (5xx, no connection):
   * while fresh, or within the larger stale-if-error window of the response and the request
   * (RFC 5861 §4). Never when the response forbids serving it stale (must-revalidate and kin).
   */
  staleIfError(req: PolicyRequest, nowMs: number): boolean {
    const stalenessMs = this.#currentAgeMs(nowMs) - this.#s.lifetimeS * 1000;
    if (stalenessMs < 0) return true;
    if (this.#s.noStale) return false;
    const requestSieS = deltaSeconds(parseCacheControl(fieldValue(req.headers, 'cache-control')).get('stale-if-error')) ?? 0;
    return stalenessMs < Math.max(this.#s.sieS, requestSieS) * 1000;
  }

  /**
   * Whether the response lets itself be served stale at all (no must-revalidate, proxy-revalidate,
   * s-maxage or no-cache). RFC 9111 §4.2.4 lets a cache that cannot reach the origin serve such a
   * response stale even without stale-if-error; staleIfError() is the stricter, explicit window.
   */
  staleAllowed(): boolean {
    return !this.#s.noStale;
  }

  /**
   * The headers of a conditional request that revalidates the stored response (RFC 9111 §4.3.1):
   * the request's own (hop-by-hop removed) without its validators and Range, plus If-None-Match
   * with the stored ETag and If-Modified-Since with the stored Last-Modified. Only the cache's own
   * validators are sent so that a 304 always speaks of the stored response; the client's
   * conditionals are answered from the cache afterwards.
   */
  revalidationHeaders(req: PolicyRequest): string[] {
    const out: string[] = [];
    const forwarded = stripHopByHop(req.headers);
    for (let i = 0; i < forwarded.length; i += 2) {
      if (!CLIENT_CONDITIONALS.has(forwarded[i]!.toLowerCase())) out.push(forwarded[i]!, forwarded[i + 1]!);
    }
    const validators = this.#lib().revalidationHeaders({ headers: {} });
    const etag = validators['if-none-match'];
    const lastModified = validators['if-modified-since'];
    if (typeof etag === 'string') out.push('If-None-Match', etag);
    if (typeof lastModified === 'string') out.push('If-Modified-Since', lastModified);
    return out;
  }

  /**
   * Applies the origin's answer to a revalidation (RFC 9111 §4.3.3, §4.3.4). A 304 that selects the
   * stored response (same strong ETag, same weak ETag, same Last-Modified, or no validator at all —
   * the request carried only the cache's own) is merged into it (§3.2): every field of the 304
   * replaces the stored ones except Content-Length, Content-Encoding, Content-Range, framing and
   * hop-by-hop fields; freshness restarts from the 304's times. `modified` is true when `res304`
   * is not a 304 or names another representation: the stored body is of no use, the caller stores
   * the new response (or refetches without conditionals); policy and headers are then unchanged.
   */
  revalidated(req: PolicyRequest, res304: PolicyResponse, requestTimeMs: number, responseTimeMs: number): { policy: ResponsePolicy; headers: string[]; modified: boolean } {
    const unchanged = { policy: this as ResponsePolicy, headers: this.storedHeaders(), modified: true };
    if (res304.status !== 304) return unchanged;
    const etag = fieldValue(res304.headers, 'etag');
    const lastModified = fieldValue(res304.headers, 'last-modified');
    const libHeaders: Record<string, string> = {};
    if (etag !== undefined) libHeaders.etag = etag;
    if (lastModified !== undefined) libHeaders['last-modified'] = lastModified;
    const { matches } = this.#lib().revalidatedPolicy({ headers: {} }, { status: 304, headers: libHeaders });
    if (!matches && (etag !== undefined || lastModified !== undefined)) return unchanged;

    const merged = mergeHeaders(this.#s.headers, res304.headers, responseTimeMs);
    const state = evaluate({ method: 'GET', path: req.path, headers: req.headers }, this.#s.status, merged, this.#s.ttl, requestTimeMs, responseTimeMs);
    const policy = new ResponsePolicy(state);
    return { policy, headers: policy.storedHeaders(), modified: false };
  }

  /**
   * The headers to store (RFC 9111 §3.1): hop-by-hop and Connection-named fields, Proxy-*
   * fields, those a qualified no-cache="…" or private="…" names, and Age (kept as state) removed;
   * Date added from the response time when the origin sent none (RFC 9110 §6.6.1).
   */
  storedHeaders(): string[] {
    return [...this.#s.headers];
  }

  /**
   * The stored headers as a viewer gets them: Age set to the current age in whole seconds (RFC 9111
   * §5.1, §4.2.3), Date left as the origin sent it (it says when the response was generated),
   * CDN-Cache-Control and Surrogate-Control removed (targeted at this cache).
   */
  viewerHeaders(nowMs: number): string[] {
    const out: string[] = [];
    const h = this.#s.headers;
    for (let i = 0; i < h.length; i += 2) {
      if (!TARGETED_FIELDS.has(h[i]!.toLowerCase())) out.push(h[i]!, h[i + 1]!);
    }
    out.push('Age', String(Math.floor(this.#currentAgeMs(nowMs) / 1000)));
    return out;
  }

  /**
   * When the entry stops being of any use (CacheEntryMeta.expiresAtMs): the end of its freshness
   * plus the larger of its stale-while-revalidate / stale-if-error windows (none when it may not be
   * served stale). An entry with a validator stays useful for a conditional revalidation, as
   * CloudFront keeps expired objects and revalidates them: it is kept another maxTtlS after that.
   */
  expiresAtMs(): number {
    return expiresAt(this.#s);
  }

  /** The stored response's Vary names (lower-cased, sorted), or '*'. */
  varyNames(): readonly string[] | '*' {
    return this.#s.vary;
  }

  /** RFC 9111 §4.2.3 current_age = corrected_initial_age + resident_time. */
  #currentAgeMs(nowMs: number): number {
    return correctedInitialAgeMs(this.#s) + Math.max(0, nowMs - this.#s.responseTimeMs);
  }

  /** http-cache-semantics on the stored (normalised) headers, for validator handling. */
  #lib(): CachePolicy {
    if (this.#library === undefined) {
      const { directives, targeted } = parseEffective(this.#s.headers);
      this.#library = libraryPolicy(false, this.#s.status, this.#s.headers, directives, targeted);
    }
    return this.#library;
  }
}

/** Everything forResponse and revalidated need to know about a response. */
function evaluate(req: PolicyRequest, status: number, headers: RawHeaders, ttl: TtlBounds, requestTimeMs: number, responseTimeMs: number): PolicyState {
  const { directives, targeted } = parseEffective(headers);
  const reqcc = parseCacheControl(fieldValue(req.headers, 'cache-control'));
  const vary = parseVaryNames(headers);
  const dateMs = parseHttpDate(fieldValue(headers, 'date'), responseTimeMs);
  const ageField = fieldValue(headers, 'age')?.trim();
  // RFC 9111 §5.1: Age is a non-negative integer; anything else ("1.5", "-3", "7200, 0") is ignored.
  const ageValueS = ageField !== undefined && /^\d+$/.test(ageField) ? Math.min(Number(ageField), 2_147_483_648) : 0;

  const noCache = directives.get('no-cache') === true;
  const sMaxageS = deltaSeconds(directives.get('s-maxage'));
  const maxAgeS = deltaSeconds(directives.get('max-age'));
  let explicitS = sMaxageS ?? maxAgeS;
  // RFC 9213 §2.1: a targeted field replaces Cache-Control and Expires alike.
  if (explicitS === undefined && !targeted) {
    const expires = fieldValue(headers, 'expires');
    if (expires !== undefined) {
      // RFC 9111 §5.3: an invalid Expires ("0", two fields) means already expired.
      const expiresMs = parseHttpDate(expires, responseTimeMs);
      explicitS = expiresMs === undefined ? 0 : Math.max(0, (expiresMs - (dateMs ?? responseTimeMs)) / 1000);
    }
  }
  const heuristicAllowed = HEURISTICALLY_CACHEABLE.has(status) || directives.has('public');

  let lifetimeS: number;
  if (noCache) {
    // CloudFront: with MinTTL > 0 an object is cached for MinTTL even with no-cache; with 0, every
    // use is revalidated (RFC 9111 §5.2.2.4).
    lifetimeS = ttl.minTtlS;
  } else if (explicitS !== undefined) {
    // CloudFront: the origin's max-age / s-maxage / Expires, clamped into [MinTTL, MaxTTL].
    lifetimeS = clamp(explicitS, ttl.minTtlS, ttl.maxTtlS);
  } else if (heuristicAllowed && ttl.defaultTtlS > 0) {
    // No explicit freshness: CloudFront's DefaultTTL is the heuristic (RFC 9111 §4.2.2), but never
    // more than 10 % of the time since Last-Modified when there is one; DefaultTTL 0 means none.
    const lastModifiedMs = parseHttpDate(fieldValue(headers, 'last-modified'), responseTimeMs);
    const sinceModifiedMs = (dateMs ?? responseTimeMs) - (lastModifiedMs ?? Number.NaN);
    const heuristicS = sinceModifiedMs > 0 ? Math.min(ttl.defaultTtlS, (sinceModifiedMs / 1000) * HEURISTIC_FRACTION) : ttl.defaultTtlS;
    lifetimeS = clamp(heuristicS, ttl.minTtlS, ttl.maxTtlS);
  } else {
    lifetimeS = 0;
  }

  const mustUnderstand = directives.has('must-understand');
  const storable =
    status >= 200 && status <= 599 &&
    // A 206 or a 304 is never stored on its own: the stored body would be partial or missing.
    status !== 206 && status !== 304 &&
    // HEAD responses have no body; a HEAD is answered from a stored GET.
    req.method.toUpperCase() === 'GET' &&
    vary !== '*' &&
    // CloudFront: MaxTTL 0 (CachingDisabled) caches nothing.
    ttl.maxTtlS > 0 &&
    !reqcc.has('no-store') &&
    // RFC 9111 §5.2.2.3: must-understand stores only statuses whose caching rules are known, and
    // for those it overrides no-store (which is there for caches that do not know must-understand).
    (!mustUnderstand || UNDERSTOOD_STATUSES.has(status)) &&
    // RFC 9111 §3: never no-store or (unqualified) private in a shared cache — even when MinTTL > 0,
    // where CloudFront would cache it anyway (docs/cache.md says why Verge does not).
    (!directives.has('no-store') || mustUnderstand) && directives.get('private') !== true &&
    // A response setting a cookie is replayed to other viewers only when the origin said so itself
    // (explicit freshness or public, as RFC 9111 §3 allows): never on a DefaultTTL or heuristic
    // guess, which would hand one visitor's session cookie to the next.
    (fieldValue(headers, 'set-cookie') === undefined || explicitS !== undefined || directives.has('public')) &&
    // RFC 9111 §3: explicit freshness, or a status (or `public`) that allows heuristic freshness.
    (explicitS !== undefined || heuristicAllowed) &&
    libraryPolicy(fieldValue(req.headers, 'authorization') !== undefined, status, headers, directives, targeted).storable();

  const validator = fieldValue(headers, 'etag') !== undefined || parseHttpDate(fieldValue(headers, 'last-modified'), responseTimeMs) !== undefined;
  const state: PolicyState = {
    v: 1,
    status,
    headers: headersToStore(headers, directives, dateMs === undefined ? responseTimeMs : undefined),
    vary: vary === '*' ? '*' : [...vary],
    ttl: { minTtlS: ttl.minTtlS, defaultTtlS: ttl.defaultTtlS, maxTtlS: ttl.maxTtlS },
    requestTimeMs,
    responseTimeMs,
    dateMs: dateMs ?? responseTimeMs,
    ageValueS,
    lifetimeS,
    swrS: deltaSeconds(directives.get('stale-while-revalidate')) ?? 0,
    sieS: deltaSeconds(directives.get('stale-if-error')) ?? 0,
    noStale: noCache || sMaxageS !== undefined || directives.has('must-revalidate') || directives.has('proxy-revalidate'),
    validator,
    storable,
  };
  // Not worth a store write: no freshness, no stale window, nothing to revalidate with.
  if (storable && expiresAt(state) <= responseTimeMs) return { ...state, storable: false };
  return state;
}

/** See ResponsePolicy#expiresAtMs. */
function expiresAt(s: PolicyState): number {
  const staleAtMs = s.responseTimeMs + s.lifetimeS * 1000 - correctedInitialAgeMs(s);
  const windowMs = s.noStale ? 0 : Math.max(s.swrS, s.sieS) * 1000;
  // Kept past staleness (bounded by maxTtlS, and by the store's LRU) while it can still be of use:
  // revalidated through its validator, or (a response that was fresh once and allows it) served
  // stale when the origin cannot be reached (RFC 9111 §4.2.4; Varnish's grace, nginx's use_stale).
  const keepMs = s.validator || (staleAtMs > s.responseTimeMs && !s.noStale) ? s.ttl.maxTtlS * 1000 : 0;
  return Math.floor(staleAtMs + Math.max(windowMs, keepMs));
}

// Fields without which a response has neither a lifetime nor a validator.
const FRESHNESS_OR_VALIDATOR = new Set(['cache-control', 'cdn-cache-control', 'surrogate-control', 'expires', 'etag', 'last-modified']);

/**
 * The dynamic page's fast path, one pass over the field names: with no freshness field, no
 * validator and no DefaultTTL (or MaxTTL 0) there is nothing to store it by, and the full
 * evaluation (and its garbage) is skipped on every such miss.
 */
function nothingToStoreBy(headers: RawHeaders, ttl: TtlBounds): boolean {
  if (ttl.maxTtlS === 0) return true;
  if (ttl.defaultTtlS > 0) return false;
  for (let i = 0; i < headers.length; i += 2) if (FRESHNESS_OR_VALIDATOR.has(headers[i]!.toLowerCase())) return false;
  return true;
}

/** RFC 9111 §4.2.3 corrected_initial_age. */
function correctedInitialAgeMs(s: PolicyState): number {
  const apparentAgeMs = Math.max(0, s.responseTimeMs - s.dateMs);
  const correctedAgeValueMs = s.ageValueS * 1000 + Math.max(0, s.responseTimeMs - s.requestTimeMs);
  return Math.max(apparentAgeMs, correctedAgeValueMs);
}

/**
 * The directives that govern this cache (RFC 9213 §2.1): the first valid, non-empty of
 * CDN-Cache-Control and Surrogate-Control, else Cache-Control.
 */
function parseEffective(headers: RawHeaders): { directives: ReadonlyMap<string, string | true>; targeted: boolean } {
  const cdn = parseTargetedField(fieldValue(headers, 'cdn-cache-control'));
  if (cdn !== undefined) return { directives: cdn, targeted: true };
  const surrogate = parseSurrogateControl(fieldValue(headers, 'surrogate-control'));
  if (surrogate.size > 0) return { directives: surrogate, targeted: true };
  return { directives: parseCacheControl(fieldValue(headers, 'cache-control')), targeted: false };
}

/**
 * http-cache-semantics for storability and validators, on inputs it cannot misread: the effective
 * directives re-serialised (valid values only), Expires only when no targeted field overrides it.
 */
function libraryPolicy(authorization: boolean, status: number, headers: RawHeaders, directives: ReadonlyMap<string, string | true>, targeted: boolean): CachePolicy {
  const cc: string[] = [];
  for (const name of ['public', 'must-revalidate']) if (directives.has(name)) cc.push(name);
  // must-understand overrides no-store for understood statuses (checked by the caller).
  if (directives.has('no-store') && !directives.has('must-understand')) cc.push('no-store');
  if (directives.get('no-cache') === true) cc.push('no-cache');
  if (directives.get('private') === true) cc.push('private');
  for (const name of ['max-age', 's-maxage']) {
    const value = deltaSeconds(directives.get(name));
    if (value !== undefined) cc.push(`${name}=${value}`);
  }
  const resHeaders: Record<string, string> = {};
  if (cc.length > 0) resHeaders['cache-control'] = cc.join(', ');
  const expires = targeted ? undefined : fieldValue(headers, 'expires');
  if (expires !== undefined) resHeaders.expires = expires;
  const etag = fieldValue(headers, 'etag');
  if (etag !== undefined) resHeaders.etag = etag;
  const lastModified = fieldValue(headers, 'last-modified');
  if (lastModified !== undefined && parseHttpDate(lastModified) !== undefined) resHeaders['last-modified'] = lastModified;
  const reqHeaders: Record<string, string> = {};
  if (authorization) reqHeaders.authorization = 'present';
  return new CachePolicy({ method: 'GET', headers: reqHeaders }, { status: libraryStatus(status), headers: resHeaders }, { shared: true });
}

/**
 * http-cache-semantics refuses every status outside its own list (a 500 or 404-like 499 with
 * max-age included), where RFC 9111 §3 lets a cache store any final status it understands. It is
 * asked about a stand-in with the same heuristic cacheability: 302 is understood and, like those,
 * needs explicit freshness.
 */
function libraryStatus(status: number): number {
  if (LIBRARY_UNDERSTOOD.has(status)) return status;
  return HEURISTICALLY_CACHEABLE.has(status) ? 200 : 302;
}

function headersToStore(headers: RawHeaders, directives: ReadonlyMap<string, string | true>, addDateMs: number | undefined): string[] {
  // RFC 9111 §5.2.2.4, §5.2.2.7: the fields a qualified no-cache / private names are not stored.
  const omitted = new Set([...PROXY_FIELDS, 'age', ...fieldNames(directives.get('no-cache')), ...fieldNames(directives.get('private'))]);
  const out: string[] = [];
  const forwarded = stripHopByHop(headers);
  let dateSeen = false;
  for (let i = 0; i < forwarded.length; i += 2) {
    const lower = forwarded[i]!.toLowerCase();
    if (omitted.has(lower)) continue;
    if (lower === 'date') {
      // An invalid Date is replaced below; two Date fields make no sense, the first is kept.
      if (addDateMs !== undefined || dateSeen) continue;
      dateSeen = true;
    }
    out.push(forwarded[i]!, forwarded[i + 1]!);
  }
  // RFC 9110 §6.6.1: a cache that stores a response without Date adds one with the time it got it.
  if (addDateMs !== undefined) out.push('Date', formatHttpDate(addDateMs));
  return out;
}

/**
 * RFC 9111 §3.2: the 304's fields replace the stored ones of the same name. Date: the 304's when
 * valid — freshness restarts from the validation — unless it is older than the stored Date (a
 * skewed clock must not move Date backwards); the time of the 304 when it has none (RFC 9110 §6.6.1).
 */
function mergeHeaders(stored: readonly string[], fresh: RawHeaders, responseTimeMs: number): string[] {
  const update: string[] = [];
  const forwarded = stripHopByHop(fresh);
  for (let i = 0; i < forwarded.length; i += 2) {
    if (!NOT_UPDATED_BY_304.has(forwarded[i]!.toLowerCase())) update.push(forwarded[i]!, forwarded[i + 1]!);
  }
  const storedDateMs = parseHttpDate(fieldValue(stored, 'date'), responseTimeMs);
  const freshDateMs = parseHttpDate(fieldValue(update, 'date'), responseTimeMs);
  const replaced = new Set<string>();
  for (let i = 0; i < update.length; i += 2) replaced.add(update[i]!.toLowerCase());
  let dateValue: string;
  if (freshDateMs === undefined) dateValue = formatHttpDate(responseTimeMs);
  else if (storedDateMs !== undefined && freshDateMs < storedDateMs) dateValue = fieldValue(stored, 'date')!;
  else dateValue = fieldValue(update, 'date')!;
  replaced.add('date');
  const out: string[] = [];
  for (let i = 0; i < stored.length; i += 2) {
    if (!replaced.has(stored[i]!.toLowerCase())) out.push(stored[i]!, stored[i + 1]!);
  }
  for (let i = 0; i < update.length; i += 2) {
    if (update[i]!.toLowerCase() !== 'date') out.push(update[i]!, update[i + 1]!);
  }
  out.push('Date', dateValue);
  return out;
}

/** A field's lines combined as RFC 9110 §5.3 does (", "); undefined when absent. */
function fieldValue(headers: RawHeaders, lower: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === lower.length && name.toLowerCase() === lower) out = out === undefined ? headers[i + 1]! : `${out}, ${headers[i + 1]!}`;
  }
  return out;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function isPolicyState(o: unknown): o is PolicyState {
  if (typeof o !== 'object' || o === null) return false;
  const s = o as Record<string, unknown>;
  const num = (k: string) => typeof s[k] === 'number' && Number.isFinite(s[k]);
  const ttl = s.ttl as Record<string, unknown> | null | undefined;
  return (
    s.v === 1 &&
    ['status', 'requestTimeMs', 'responseTimeMs', 'dateMs', 'ageValueS', 'lifetimeS', 'swrS', 'sieS'].every(num) &&
    Array.isArray(s.headers) && s.headers.length % 2 === 0 && s.headers.every((h) => typeof h === 'string') &&
    (s.vary === '*' || (Array.isArray(s.vary) && s.vary.every((h) => typeof h === 'string'))) &&
    typeof ttl === 'object' && ttl !== null && ['minTtlS', 'defaultTtlS', 'maxTtlS'].every((k) => typeof ttl[k] === 'number') &&
    typeof s.noStale === 'boolean' && typeof s.validator === 'boolean' && typeof s.storable === 'boolean'
  );
}
