/**
 * The cache step of the lifecycle (docs/cache.md, drawn in docs/lifecycle.md): between viewer-request
 * and the origin hooks, it answers from the cache, revalidates, or forwards and stores, following
 * RFC 9111 and CloudFront's rules for which hooks run. The origin round trip itself (origin-request →
 * origin → origin-response) is the lifecycle's `forward`, passed in.
 */
import { Readable } from 'node:stream';
import { SURROGATE_DEVICE_TOKEN } from '../cache/cache-directives.ts';
import { cacheKey, normaliseAcceptEncoding, type ContentCoding } from '../cache/cache-key.ts';
import type { CacheStatus, CacheStatusMember } from '../cache/cache-status.ts';
import type { CacheEntry } from '../cache/cache-store.ts';
import { cacheTags } from '../cache/cache-tags.ts';
import { compressedHeaders, compressionFor, createCompressor } from '../cache/compression.ts';
import type { HttpCache } from '../cache/http-cache.ts';
import { ResponsePolicy, variantKey, type PolicyRequest } from '../cache/response-policy.ts';
import { isNotModified, notModifiedHeaders, rangeAnswer } from '../cache/viewer-conditionals.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import type { EdgeRequest } from './edge-message.ts';
import { bodyStream, dropBody, type Exchange, type Forwarded, type PendingResponse, type Served } from './exchange.ts';
import { headerValue, removeHeader } from './header-list.ts';

interface CachePlan {
  readonly key: string;
  readonly coding: ContentCoding;
  readonly policyRequest: PolicyRequest;
  /** The viewer asked for a range: the origin answers it, nothing is stored. */
  readonly ranged: boolean;
  /**
   * The request headers a stored Vary is matched against: Accept-Encoding as the key normalised it,
   * so `Vary: Accept-Encoding` on a compressed entry matches every viewer whose coding is the same.
   */
  readonly varyHeaders: readonly string[];
}

export interface CacheStepOptions {
  readonly cache: HttpCache;
  readonly logger: Logger;
  /** origin-request → origin → origin-response for this exchange, with the request as given. */
  readonly forward: (ctx: Exchange, request: EdgeRequest) => Promise<Forwarded>;
}

export class CacheStep {
  private readonly cache: HttpCache;
  private readonly logger: Logger;
  private readonly forward: CacheStepOptions['forward'];

  constructor(options: CacheStepOptions) {
    this.cache = options.cache;
    this.logger = options.logger;
    this.forward = options.forward;
  }

  /** The cache step for one request (docs/cache.md): a hit, a revalidation, or a miss that may be stored. */
  async serve(ctx: Exchange): Promise<Served> {
    const cache = this.cache;
    const { viewerRequest, behavior } = ctx;
    const method = viewerRequest.method;
    if (method !== 'GET' && method !== 'HEAD') {
      const served = await this.forwardUncached(ctx, viewerRequest, { fwd: 'method' });
      // RFC 9111 §4.4: a successful unsafe request invalidates what the cache holds for its URI.
      const status = Number(served.pending.response.status);
      if (method !== 'OPTIONS' && method !== 'TRACE' && status >= 200 && status < 400) await this.invalidateAfterUnsafe(ctx, served.pending.response.headers);
      return served;
    }
    const policy = behavior.cachePolicy;
    // CachingDisabled: MaxTTL 0 means CloudFront caches nothing for the behavior.
    if (policy.maxTtlS === 0) return this.forwardUncached(ctx, viewerRequest, { fwd: 'bypass' });

    const coding = normaliseAcceptEncoding(policy, headerValue(viewerRequest.headers, 'accept-encoding'));
    const key = cacheKey(policy, viewerRequest, coding);
    let varyHeaders: readonly string[] | undefined;
    const plan: CachePlan = {
      key,
      coding,
      policyRequest: policyRequest(viewerRequest),
      ranged: headerValue(viewerRequest.headers, 'range') !== undefined,
      // Made only when a stored Vary is matched or a response stored: most misses need neither.
      get varyHeaders() {
        return (varyHeaders ??= policy.enableAcceptEncodingBrotli || policy.enableAcceptEncodingGzip ? normalisedHeaders(viewerRequest.headers, coding) : viewerRequest.headers);
      },
    };
    let found = await cache.find(key, plan.varyHeaders);
    let collapsed = false;
    // RFC 9211 `collapsed` only when the other request's fetch is what this one got.
    if (found.entry === undefined && !plan.ranged && (await cache.awaitFlight(key)) === 'settled') {
      found = await cache.find(key, plan.varyHeaders);
      collapsed = found.entry !== undefined;
    }
    const entry = found.entry;
    if (entry === undefined) return this.miss(ctx, plan, { fwd: found.miss, collapsed });

    let stored: ResponsePolicy;
    try {
      stored = ResponsePolicy.fromObject(entry.meta.policy);
    } catch (err) {
      // An entry this version cannot read (written by another, or damaged) is a miss, not an error.
      this.logger.warn({ type: 'cache-entry-unreadable', code: 'VERGE_ERR_CACHE_STORE', requestId: ctx.record.requestId, err: String(err) }, 'A stored entry could not be read; fetching again');
      return this.miss(ctx, plan, { fwd: 'miss', collapsed });
    }
    const freshness = stored.freshness(plan.policyRequest, Date.now());
    if (freshness.state !== 'stale') {
      const revalidating = freshness.state === 'stale-while-revalidate';
      if (revalidating) this.refreshInBackground(ctx, plan, entry, stored);
      return fromEntry(entry, stored, 'Hit', {
        hit: true,
        ttlS: freshness.ttlS - freshness.ageS,
        collapsed,
        ...(revalidating ? { detail: 'stale-while-revalidate' } : {}),
      });
    }
    return this.revalidate(ctx, plan, entry, stored);
  }

  /** No usable entry: fetch from the origin (leading the key's flight) and store what may be stored. */
  private async miss(ctx: Exchange, plan: CachePlan, member: CacheStatusMember): Promise<Served> {
    const cache = this.cache;
    // A HEAD or a range request fetches only part of the response: it is passed on and not stored.
    if (ctx.viewerRequest.method !== 'GET' || plan.ranged) {
      const served = await this.forwardUncached(ctx, toOriginBound(ctx.viewerRequest, plan.coding, false), member);
      return { ...served, answerConditionals: false };
    }
    const flight = cache.lead(plan.key);
    try {
      const requestTimeMs = Date.now();
      const fwd = await this.forward(ctx, toOriginBound(ctx.viewerRequest, plan.coding, true));
      const storing = this.storeResponse(ctx, plan, fwd, requestTimeMs, undefined);
      if (storing.stored === undefined) cache.pass(plan.key);
      if (flight !== undefined) {
        if (storing.stored === undefined) flight.done();
        else void storing.stored.finally(() => flight.done());
      }
      return {
        pending: storing.pending,
        status: fwd.generated ? 'LambdaGeneratedResponse' : 'Miss',
        member: { ...member, fwdStatus: Number(fwd.pending.response.status), stored: storing.stored !== undefined },
        answerConditionals: true,
      };
    } catch (err) {
      flight?.done();
      throw err;
    }
  }

  /** A stale entry: ask the origin whether it still holds (RFC 9111 §4.3), or serve it stale on error. */
  private async revalidate(ctx: Exchange, plan: CachePlan, entry: CacheEntry, stored: ResponsePolicy): Promise<Served> {
    const cache = this.cache;
    // stale-if-error covers 5xx answers and failures alike; without it, a stale response may still be
    // served when the origin cannot be reached at all, unless it forbids stale use (RFC 9111 §4.2.4).
    const staleOnError = (fwdStatus: number | undefined): Served | undefined => {
      const now = Date.now();
      const sie = stored.staleIfError(plan.policyRequest, now);
      if (!sie && !(fwdStatus === undefined && stored.staleAllowed())) return undefined;
      const f = stored.freshness(plan.policyRequest, now);
      return fromEntry(entry, stored, 'Hit', { fwd: 'stale', ...(fwdStatus === undefined ? {} : { fwdStatus }), ttlS: f.ttlS - f.ageS, detail: sie ? 'stale-if-error' : 'origin-unreachable' });
    };
    if (ctx.viewerRequest.method !== 'GET') {
      // HEAD: a full GET revalidation would fetch a body nobody reads; pass it on.
      return { ...(await this.forwardUncached(ctx, toOriginBound(ctx.viewerRequest, plan.coding, false), { fwd: 'stale' })), answerConditionals: false };
    }
    const flight = cache.lead(plan.key);
    try {
      const requestTimeMs = Date.now();
      const bound = toOriginBound(ctx.viewerRequest, plan.coding, true);
      let fwd: Forwarded;
      try {
        fwd = await this.forward(ctx, { ...bound, headers: stored.revalidationHeaders({ ...plan.policyRequest, headers: bound.headers }) });
      } catch (err) {
        const stale = isOriginFailure(err) ? staleOnError(undefined) : undefined;
        if (stale === undefined) throw err;
        this.logger.warn({ type: 'stale-if-error', requestId: ctx.record.requestId, code: (err as VergeError).code }, 'The origin failed; serving the stale cached response');
        flight?.done();
        return stale;
      }
      let status = Number(fwd.pending.response.status);
      if (status === 304 && !fwd.generated) {
        dropBody(fwd.pending);
        const refreshed = await this.applyNotModified(plan, entry, stored, fwd.pending.response.headers, requestTimeMs);
        if (refreshed !== undefined) {
          flight?.done();
          const fresh = refreshed.policy.freshness(plan.policyRequest, Date.now());
          return fromEntry(refreshed.entry, refreshed.policy, 'RefreshHit', { fwd: 'stale', fwdStatus: 304, ttlS: fresh.ttlS - fresh.ageS });
        }
        // The 304 speaks of another response than the stored one (RFC 9111 §4.3.4): fetch it whole.
        fwd = await this.forward(ctx, bound);
        status = Number(fwd.pending.response.status);
      }
      if (status >= 500 && !fwd.generated) {
        const stale = staleOnError(status);
        if (stale !== undefined) {
          dropBody(fwd.pending);
          flight?.done();
          return stale;
        }
      }
      const storing = this.storeResponse(ctx, plan, fwd, requestTimeMs, undefined);
      if (flight !== undefined) {
        if (storing.stored === undefined) flight.done();
        else void storing.stored.finally(() => flight.done());
      }
      // Not storable any more: the old entry must not be served again (RFC 9111 §4.3.3 replaces it).
      if (storing.stored === undefined) {
        await cache.store.delete(plan.key, entry.meta.variantKey).catch((err: unknown) => {
          this.logger.warn({ type: 'cache-store-error', code: 'VERGE_ERR_CACHE_STORE', requestId: ctx.record.requestId, err: String(err) }, 'A stale entry could not be deleted');
        });
      }
      return {
        pending: storing.pending,
        status: fwd.generated ? 'LambdaGeneratedResponse' : 'Miss',
        member: { fwd: 'stale', fwdStatus: status, stored: storing.stored !== undefined },
        answerConditionals: true,
      };
    } catch (err) {
      flight?.done();
      throw err;
    }
  }

  /** stale-while-revalidate: the viewer already has the stale response; refresh it once, off its path. */
  private refreshInBackground(ctx: Exchange, plan: CachePlan, entry: CacheEntry, stored: ResponsePolicy): void {
    const cache = this.cache;
    if (!cache.beginRefresh(plan.key)) return;
    const refresh = async (): Promise<void> => {
      const requestTimeMs = Date.now();
      const bound = toOriginBound(ctx.viewerRequest, plan.coding, true);
      // The viewer's request body (if any) belongs to the viewer's exchange, not to this one.
      const fwd = await this.forward({ ...ctx, req: undefined, res: undefined }, { ...bound, method: 'GET', headers: stored.revalidationHeaders({ ...plan.policyRequest, headers: bound.headers }) });
      if (Number(fwd.pending.response.status) === 304 && !fwd.generated) {
        dropBody(fwd.pending);
        await this.applyNotModified(plan, entry, stored, fwd.pending.response.headers, requestTimeMs);
        return;
      }
      const storing = this.storeResponse(ctx, plan, fwd, requestTimeMs, 'background');
      if (storing.stored !== undefined) await storing.stored;
      else dropBody(storing.pending);
    };
    refresh()
      .catch((err: unknown) => {
        this.logger.warn({ type: 'cache-refresh-error', requestId: ctx.record.requestId, key: plan.key, err: err instanceof Error ? err.message : String(err) }, 'A background revalidation failed');
      })
      .finally(() => cache.endRefresh(plan.key));
  }

  /**
   * Merges a 304's headers into the stored entry (RFC 9111 §4.3.4) and writes them back; undefined
   * when the 304 does not match the stored response. A 304 that forbids storing (no-store, private)
   * still answers this request, and the entry is deleted.
   */
  private async applyNotModified(plan: CachePlan, entry: CacheEntry, stored: ResponsePolicy, headers: readonly string[], requestTimeMs: number): Promise<{ entry: CacheEntry; policy: ResponsePolicy } | undefined> {
    const merged = stored.revalidated(plan.policyRequest, { status: 304, headers }, requestTimeMs, Date.now());
    if (merged.modified) return undefined;
    const meta = { headers: merged.headers, policy: merged.policy.toObject(), expiresAtMs: merged.policy.expiresAtMs(), tags: cacheTags(merged.headers) };
    const store = this.cache.store;
    if (merged.policy.storable()) await store.updateMeta(plan.key, entry.meta.variantKey, meta);
    else await store.delete(plan.key, entry.meta.variantKey).catch(() => 0);
    const bodyBytes = entry.bodyBytes?.bind(entry);
    const refreshed: CacheEntry = { meta: { ...entry.meta, ...meta }, body: (range) => entry.body(range), ...(bodyBytes === undefined ? {} : { bodyBytes }) };
    return { entry: refreshed, policy: merged.policy };
  }

  /**
   * Compresses for the viewer when the behavior asks (CloudFront's "Compress objects automatically"),
   * then stores the response if RFC 9111 and the TTL bounds allow. `stored` is undefined when nothing
   * is being stored. With `background`, nobody reads the body but the store.
   */
  private storeResponse(ctx: Exchange, plan: CachePlan, fwd: Forwarded, requestTimeMs: number, background: 'background' | undefined): { pending: PendingResponse; stored: Promise<boolean> | undefined } {
    const pending = fwd.pending;
    const status = Number(pending.response.status);
    if (ctx.behavior.compress && plan.coding !== 'identity') {
      const coding = compressionFor(plan.coding, pending.response.headers, status);
      if (coding !== undefined) {
        const source = bodyStream(pending);
        pending.response.headers = compressedHeaders(pending.response.headers, coding);
        pending.stream = source.pipe(createCompressor(coding));
        source.on('error', (err) => pending.stream!.destroy(err));
        pending.streamLength = undefined;
      }
    }
    const policy = ResponsePolicy.forResponse(plan.policyRequest, { status, headers: pending.response.headers }, ctx.behavior.cachePolicy, requestTimeMs, Date.now());
    if (policy === undefined) return { pending, stored: undefined };
    const names = policy.varyNames();
    if (names === '*') return { pending, stored: undefined };
    const headers = policy.storedHeaders();
    const meta = {
      primaryKey: plan.key,
      variantKey: variantKey(names, plan.varyHeaders),
      path: ctx.viewerRequest.uri,
      tags: cacheTags(headers),
      status,
      statusText: pending.response.statusDescription,
      headers,
      policy: policy.toObject(),
      storedAtMs: Date.now(),
      expiresAtMs: policy.expiresAtMs(),
    };
    const cache = this.cache;
    if (pending.stream === undefined && pending.origin === undefined) {
      // A body in hand: generated at origin-request, or replaced by origin-response.
      return { pending, stored: cache.put(meta, Readable.from([pending.body ?? Buffer.alloc(0)])) };
    }
    // The origin's body unchanged keeps its Content-Length (a compressed one has none yet).
    const originLength = pending.stream === undefined && pending.origin !== undefined ? headerValue(pending.origin.rawHeaders, 'content-length') : undefined;
    const source = bodyStream(pending);
    if (originLength !== undefined && /^\d+$/.test(originLength)) pending.streamLength = Number(originLength);
    if (background !== undefined) return { pending: { ...pending, stream: undefined, origin: undefined }, stored: cache.put(meta, source) };
    const { viewer, stored } = cache.storeWhileSending(meta, source);
    pending.stream = viewer;
    pending.origin = undefined;
    return { pending, stored };
  }

  /** RFC 9111 §4.4: the target URI and same-origin Location / Content-Location are invalidated. */
  private async invalidateAfterUnsafe(ctx: Exchange, responseHeaders: readonly string[]): Promise<void> {
    const paths = [ctx.viewerRequest.uri];
    const host = headerValue(ctx.viewerRequest.headers, 'host');
    for (const name of ['location', 'content-location']) {
      const value = headerValue(responseHeaders, name);
      if (value === undefined) continue;
      try {
        const target = new URL(value, `http://${host ?? 'verge.invalid'}${ctx.viewerRequest.uri}`);
        // Only the same origin: another host's content is not ours to drop (§4.4).
        if (host !== undefined && target.host === host) paths.push(target.pathname);
      } catch {
        // An unparseable Location invalidates nothing more.
      }
    }
    try {
      await this.cache.invalidate({ paths });
    } catch (err) {
      this.logger.warn({ type: 'cache-store-error', code: 'VERGE_ERR_CACHE_STORE', requestId: ctx.record.requestId, err: String(err) }, 'Invalidation after an unsafe request failed');
    }
  }

  /** Straight through to the origin (origin hooks included), nothing looked up or stored. */
  async forwardUncached(ctx: Exchange, request: EdgeRequest, member: CacheStatusMember): Promise<Served> {
    const fwd = await this.forward(ctx, request);
    const status: CacheStatus = fwd.generated ? 'LambdaGeneratedResponse' : 'Miss';
    return { pending: fwd.pending, status, member: { ...member, fwdStatus: Number(fwd.pending.response.status) }, answerConditionals: false };
  }
}

/** A response served from a stored entry, with its headers as the viewer should see them (Age). */
function fromEntry(entry: CacheEntry, policy: ResponsePolicy, status: CacheStatus, member: CacheStatusMember): Served {
  return {
    pending: {
      response: { status: String(entry.meta.status), statusDescription: entry.meta.statusText, headers: policy.viewerHeaders(Date.now()) },
      body: undefined,
      origin: undefined,
      entry,
    },
    status,
    member,
    answerConditionals: true,
  };
}

/**
 * The viewer's own preconditions and Range, answered from a full response (RFC 9110 §13, §14): a 304
 * when it already holds this response, a 206 for one range of a stored body, a 416 past its end.
 */
export function answerViewerConditionals(request: EdgeRequest, pending: PendingResponse): void {
  const status = Number(pending.response.status);
  if (status !== 200) return;
  if (isNotModified(request.method, request.headers, pending.response.headers)) {
    dropBody(pending);
    pending.response = { status: '304', statusDescription: 'Not Modified', headers: notModifiedHeaders(pending.response.headers) };
    return;
  }
  const entry = pending.entry;
  if (entry === undefined) return;
  const size = entry.meta.bodySize;
  const answer = rangeAnswer(request.method, request.headers, pending.response.headers, status, size);
  if (answer.kind === 'partial') {
    pending.range = { start: answer.start, end: answer.end };
    const headers = pending.response.headers.slice();
    headers.push('Content-Range', `bytes ${answer.start}-${answer.end}/${size}`);
    pending.response = { status: '206', statusDescription: 'Partial Content', headers };
  } else if (answer.kind === 'unsatisfiable') {
    dropBody(pending);
    const headers = notModifiedHeaders(pending.response.headers);
    headers.push('Content-Range', `bytes */${size}`);
    pending.response = { status: '416', statusDescription: 'Range Not Satisfiable', headers };
  }
}

const VIEWER_CONDITIONALS = new Set(['if-none-match', 'if-modified-since', 'if-range', 'range']);

/**
 * The viewer's request as it goes to the origin from the cache step: Accept-Encoding normalised to
 * the coding in the key (CloudFront forwards the normalised value), and on a cacheable miss without
 * the viewer's own conditionals, so the origin sends the full response the cache can store.
 */
function toOriginBound(request: EdgeRequest, coding: ContentCoding, full: boolean): EdgeRequest {
  const source = request.headers;
  const headers: string[] = [];
  // One pass (this runs on every cacheable miss): the viewer's conditionals and Accept-Encoding out.
  for (let i = 0; i < source.length; i += 2) {
    const lower = source[i]!.toLowerCase();
    if ((full && VIEWER_CONDITIONALS.has(lower)) || (coding !== 'identity' && lower === 'accept-encoding')) continue;
    headers.push(source[i]!, source[i + 1]!);
  }
  if (coding !== 'identity') headers.push('Accept-Encoding', coding === 'br' ? 'br, gzip' : 'gzip');
  // Tells the origin a surrogate that honours Surrogate-Control is in front (Edge Architecture §2).
  headers.push('Surrogate-Capability', `${SURROGATE_DEVICE_TOKEN}="Surrogate/1.0"`);
  return { ...request, headers };
}

/** The headers with Accept-Encoding replaced by the normalised coding (none for identity). */
function normalisedHeaders(headers: readonly string[], coding: ContentCoding): string[] {
  const out = headers.slice();
  removeHeader(out, 'accept-encoding');
  if (coding !== 'identity') out.push('Accept-Encoding', coding);
  return out;
}

function policyRequest(request: EdgeRequest): PolicyRequest {
  return { method: request.method, path: request.querystring === '' ? request.uri : `${request.uri}?${request.querystring}`, headers: request.headers };
}

/** The origin could not be reached or did not answer in time: what stale-if-error covers. */
function isOriginFailure(err: unknown): boolean {
  return err instanceof VergeError && (err.code === 'VERGE_ERR_ORIGIN_UNREACHABLE' || err.code === 'VERGE_ERR_ORIGIN_TIMEOUT');
}
