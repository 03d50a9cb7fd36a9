import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, pipeline } from 'node:stream';
import { cacheStatusValue, xCacheValue, type CacheStatus, type CacheStatusMember } from '../cache/cache-status.ts';
import { SURROGATE_DEVICE_TOKEN } from '../cache/cache-directives.ts';
import { cacheKey, normaliseAcceptEncoding, type ContentCoding } from '../cache/cache-key.ts';
import type { ByteRange, CacheEntry } from '../cache/cache-store.ts';
import { cacheTags } from '../cache/cache-tags.ts';
import { compressedHeaders, compressionFor, createCompressor } from '../cache/compression.ts';
import type { HttpCache } from '../cache/http-cache.ts';
import { ResponsePolicy, variantKey, type PolicyRequest } from '../cache/response-policy.ts';
import { isNotModified, notModifiedHeaders, rangeAnswer } from '../cache/viewer-conditionals.ts';
import type { BehaviorConfig, OriginConfig, VergeConfig } from '../config/types.ts';
import { errorBody, presentError } from '../errors/error-response.ts';
import { NoBehaviorError } from '../errors/request-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import { logAccess, type RequestRecord } from '../observability/access-log.ts';
import type { Logger } from '../observability/logger.ts';
import type { OriginClient } from '../proxy/origin-client.ts';
import type { OriginResponse } from '../proxy/origin-response.ts';
import type { CfCustomOrigin, CfHeaders } from './cf-types.ts';
import type { EdgeRequest, EdgeResponse } from './edge-message.ts';
import { headerValue, removeHeader, setHeader, stripHopByHop, titleCase } from './header-list.ts';
import type { HookRunner } from './hook-runner.ts';
import { eventBody, hasRequestBody, readRequestBody, upstreamBody } from './request-body.ts';

export interface LifecycleOptions {
  readonly config: VergeConfig;
  readonly hooks: HookRunner;
  readonly origins: OriginClient;
  readonly logger: Logger;
  /** The node's HTTP cache; without one every request goes to the origin. */
  readonly cache?: HttpCache | undefined;
}

/**
 * A response on its way to the viewer. Its body is one of: the origin's, unread (`origin`); bytes in
 * hand (`body`: a function generated or replaced it); a stream (`stream`: through the cache's tee or a
 * compressor); or a stored entry (`entry`: read when sent, whole or one range).
 */
interface PendingResponse {
  response: EdgeResponse;
  body: Buffer | undefined;
  origin: OriginResponse | undefined;
  stream?: Readable | undefined;
  /** The stream's length when known (Content-Length); chunked otherwise. */
  streamLength?: number | undefined;
  entry?: CacheEntry | undefined;
  /** The part of the entry to send (a 206 answer). */
  range?: ByteRange | undefined;
}

/** One viewer exchange as the cache step sees it. */
interface Exchange {
  /** The viewer's request stream (its body goes upstream); undefined for a background refresh. */
  readonly req: IncomingMessage | undefined;
  /** The viewer's response, for 103 Early Hints passed on from the origin; undefined for a background refresh. */
  readonly res: ServerResponse | undefined;
  readonly record: RequestRecord;
  readonly behavior: BehaviorConfig;
  readonly origin: OriginConfig;
  /** The request as viewer-request left it: what the cache key, Vary and viewer-response see. */
  readonly viewerRequest: EdgeRequest;
  readonly bufferedBody: Buffer | undefined;
}

/** What the cache step produced: the response, its outcome, and its Cache-Status member. */
interface Served {
  readonly pending: PendingResponse;
  readonly status: CacheStatus;
  readonly member: CacheStatusMember;
  /** Answer the viewer's If-None-Match / If-Modified-Since / Range from this response (it is a full one). */
  readonly answerConditionals: boolean;
}

interface Forwarded {
  readonly pending: PendingResponse;
  /** origin-request generated it (no origin contacted). */
  readonly generated: boolean;
}

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

// RFC 9110 §6.4.1: responses to HEAD, and 1xx/204/304 responses, never carry content.
function mayHaveBody(method: string, status: number): boolean {
  return method !== 'HEAD' && status !== 204 && status !== 304 && status >= 200;
}

/**
 * CloudFront's request lifecycle for one request (docs/lifecycle.md):
 * viewer-request → cache lookup → [miss or revalidation: origin-request → origin → origin-response →
 * cache store] → viewer-response → viewer. Each hook runs only if a function is associated.
 */
export class RequestLifecycle {
  private readonly config: VergeConfig;
  private readonly hooks: HookRunner;
  private readonly origins: OriginClient;
  private readonly logger: Logger;
  private readonly cache: HttpCache | undefined;
  private readonly originsById: ReadonlyMap<string, OriginConfig>;
  private readonly defaultOrigins: ReadonlyMap<string, CfCustomOrigin>;
  /** CloudFront: `Via: 1.1 d111111abcdef8.cloudfront.net (CloudFront)`. */
  private readonly via: string;

  constructor(options: LifecycleOptions) {
    this.config = options.config;
    this.hooks = options.hooks;
    this.origins = options.origins;
    this.logger = options.logger;
    this.cache = options.cache;
    this.originsById = new Map(options.config.origins.map((o) => [o.id, o]));
    // Built once per origin: nothing mutates it (a function's change to the origin is a new object).
    this.defaultOrigins = new Map(options.config.origins.map((o) => [o.id, RequestLifecycle.defaultOrigin(o)]));
    this.via = `1.1 ${options.config.distribution.domainName} (Verge)`;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const requestId = randomUUID();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const record: RequestRecord = {
      requestId,
      startedMs: performance.now(),
      startedAt: new Date(),
      uri: q === -1 ? url : url.slice(0, q),
      querystring: q === -1 ? '' : url.slice(q + 1),
      status: 0,
      cacheStatus: 'Miss',
      errorCode: undefined,
      firstByteMs: undefined,
    };
    // Held here because undici sets `req.socket = null` when it finishes sending a streamed (chunked)
    // request body (undici core/util.js destroy(), nodejs/node#38505); reading req.socket afterwards throws.
    const socket = req.socket;
    // Keep-alive connections carry one response at a time, so the socket's counter delta is this response's size.
    const bytesBefore = socket.bytesWritten;
    res.once('close', () => logAccess(this.logger, this.config.location, req, socket, socket.bytesWritten - bytesBefore, record));
    this.run(req, res, record).catch((err: unknown) => {
      try {
        this.fail(res, record, err);
      } catch (failErr) {
        // Answering the error failed too (a socket torn down mid-write): one request lost, never the node.
        this.logger.error({ type: 'error', code: 'VERGE_ERR_INTERNAL', requestId: record.requestId, err: String(failErr) }, 'Could not send an error response');
        res.destroy();
      }
    });
  }

  private async run(req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<void> {
    const behavior = this.match(record.uri);
    if (behavior === undefined) throw new NoBehaviorError(record.uri);
    const fns = behavior.functions;
    let request: EdgeRequest = {
      clientIp: req.socket.remoteAddress ?? '',
      headers: stripHopByHop(req.rawHeaders),
      method: req.method ?? 'GET',
      querystring: record.querystring,
      uri: record.uri,
    };

    // Bodies are read only when a function asked for them; otherwise they stream to the origin.
    let bufferedBody: Buffer | undefined;
    if ((fns['viewer-request']?.includeBody || fns['origin-request']?.includeBody) && hasRequestBody(req)) {
      bufferedBody = await readRequestBody(req);
    }

    let originOverride: OriginConfig | undefined;
    const viewerRequestFn = fns['viewer-request'];
    if (viewerRequestFn !== undefined) {
      if (viewerRequestFn.includeBody) request.body = eventBody('viewer-request', bufferedBody ?? Buffer.alloc(0));
      const result = await this.hooks.runRequestHook('viewer-request', viewerRequestFn, request, record.requestId);
      if (result.kind === 'response') {
        // A response generated at viewer-request goes straight back: no cache, no viewer-response.
        const generated = result.generated ?? 'LambdaGeneratedResponse';
        this.send(req, res, record, { response: result.response, body: result.body, origin: undefined }, generated, { detail: 'viewer-request' });
        return;
      }
      request = result.request;
      // A CloudFront Function may send this request to another origin (pipeline/cff-origin.ts).
      if ('originChange' in result && result.originChange !== undefined) {
        originOverride = await this.hooks.applyOriginChange(viewerRequestFn, result.originChange, this.originsById.get(behavior.originId)!, this.originsById);
      }
    }
    // The body (or its replacement) goes on upstream, but leaves the event: CloudFront shows it only to
    // the request functions whose association has includeBody, never to origin-request without it nor
    // to response events.
    ({ request, body: bufferedBody } = takeBody(request, bufferedBody));
    const ctx: Exchange = {
      req,
      res,
      record,
      behavior,
      origin: originOverride ?? this.originsById.get(behavior.originId)!,
      viewerRequest: request,
      bufferedBody,
    };

    const served = this.cache === undefined ? await this.forwardUncached(ctx, request, { fwd: 'bypass' }) : await this.serve(ctx);
    const pending = served.pending;
    try {
      const headers = pending.response.headers;
      // Targeted cache fields are for this cache only (RFC 9213 §2; Surrogate-Control likewise).
      removeHeader(headers, 'cdn-cache-control');
      removeHeader(headers, 'surrogate-control');
      // Age on every response (RFC 9111 §5.1): 0 for one fresh from the origin.
      if (headerValue(headers, 'age') === undefined) headers.push('Age', '0');
      headers.push('Via', this.via);
      const viewerResponseFn = fns['viewer-response'];
      // CloudFront skips viewer-response when the origin (or origin-response) answered with an error.
      if (viewerResponseFn !== undefined && Number(pending.response.status) < 400) {
        const result = await this.hooks.runResponseHook('viewer-response', viewerResponseFn, request, pending.response, record.requestId);
        pending.response = result.response;
        if (result.body !== undefined) {
          dropBody(pending);
          pending.body = result.body;
        }
      }
      if (served.answerConditionals) answerViewerConditionals(request, pending);
      this.send(req, res, record, pending, served.status, served.member);
    } catch (err) {
      // A function failed (or the response could not be sent) after the origin answered: drop the
      // unread body, or the paused response would hold its origin connection forever (and undici's
      // pool.close() would wait for it at shutdown).
      dropBody(pending);
      throw err;
    }
  }

  /** The cache step for one request (docs/cache.md): a hit, a revalidation, or a miss that may be stored. */
  private async serve(ctx: Exchange): Promise<Served> {
    const cache = this.cache!;
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
    const plan: CachePlan = {
      key,
      coding,
      policyRequest: policyRequest(viewerRequest),
      ranged: headerValue(viewerRequest.headers, 'range') !== undefined,
      varyHeaders: policy.enableAcceptEncodingBrotli || policy.enableAcceptEncodingGzip ? normalisedHeaders(viewerRequest.headers, coding) : viewerRequest.headers,
    };
    let found = await cache.find(key, plan.varyHeaders);
    let collapsed = false;
    if (found.entry === undefined && !plan.ranged && (await cache.awaitFlight(key))) {
      collapsed = true;
      found = await cache.find(key, plan.varyHeaders);
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
    const cache = this.cache!;
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
    const cache = this.cache!;
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
    const cache = this.cache!;
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
    const store = this.cache!.store;
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
    const cache = this.cache!;
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
      await this.cache!.invalidate({ paths });
    } catch (err) {
      this.logger.warn({ type: 'cache-store-error', code: 'VERGE_ERR_CACHE_STORE', requestId: ctx.record.requestId, err: String(err) }, 'Invalidation after an unsafe request failed');
    }
  }

  /** Straight through to the origin (origin hooks included), nothing looked up or stored. */
  private async forwardUncached(ctx: Exchange, request: EdgeRequest, member: CacheStatusMember): Promise<Served> {
    const fwd = await this.forward(ctx, request);
    const status: CacheStatus = fwd.generated ? 'LambdaGeneratedResponse' : 'Miss';
    return { pending: fwd.pending, status, member: { ...member, fwdStatus: Number(fwd.pending.response.status) }, answerConditionals: false };
  }

  /** origin-request → origin → origin-response: what runs on a miss or a revalidation. */
  private async forward(ctx: Exchange, viewerBound: EdgeRequest): Promise<Forwarded> {
    const fns = ctx.behavior.functions;
    let request = this.toOriginRequest(viewerBound, ctx.origin);
    let body = ctx.bufferedBody;
    const originRequestFn = fns['origin-request'];
    if (originRequestFn !== undefined) {
      if (originRequestFn.includeBody) request.body = eventBody('origin-request', body ?? Buffer.alloc(0));
      const result = await this.hooks.runRequestHook('origin-request', originRequestFn, request, ctx.record.requestId);
      if (result.kind === 'response') {
        // Generated at origin-request: CloudFront caches it and skips origin-response.
        return { pending: { response: result.response, body: result.body, origin: undefined }, generated: true };
      }
      ({ request, body } = takeBody(result.request, body));
    }
    const originResponse = await this.fetchOrigin(ctx.req, request, ctx.origin, body, ctx.res);
    const pending: PendingResponse = {
      response: {
        status: String(originResponse.status),
        statusDescription: originResponse.statusText,
        headers: stripHopByHop(originResponse.rawHeaders),
      },
      body: undefined,
      origin: originResponse,
    };
    try {
      const originResponseFn = fns['origin-response'];
      if (originResponseFn !== undefined) {
        const result = await this.hooks.runResponseHook('origin-response', originResponseFn, request, pending.response, ctx.record.requestId);
        pending.response = result.response;
        if (result.body !== undefined) {
          originResponse.discard();
          pending.body = result.body;
          pending.origin = undefined;
        }
      }
    } catch (err) {
      originResponse.discard();
      throw err;
    }
    return { pending, generated: false };
  }

  private match(uri: string): BehaviorConfig | undefined {
    for (const b of this.config.behaviors) if (b.matches(uri)) return b;
    return undefined;
  }

  /**
   * What CloudFront adds after viewer-request: the origin (origin-request may change it), Host set to
   * the origin's domain (CloudFront's default when Host is not forwarded), X-Forwarded-For and Via.
   */
  private toOriginRequest(request: EdgeRequest, origin: OriginConfig): EdgeRequest {
    // A copy: viewer-response later sees the viewer's request, not the one sent to the origin.
    const headers = request.headers.slice();
    const defaultPort = origin.protocol === 'https' ? 443 : 80;
    setHeader(headers, 'Host', origin.port === defaultPort ? origin.domainName : `${origin.domainName}:${origin.port}`);
    // X-Forwarded-For: the client's address appended to whatever the viewer sent (RFC 7239 §5.2 style list).
    const xff = headerValue(headers, 'x-forwarded-for');
    if (xff === undefined) headers.push('X-Forwarded-For', request.clientIp);
    else setHeader(headers, 'X-Forwarded-For', `${xff.replaceAll('\n', ', ')}, ${request.clientIp}`);
    headers.push('Via', this.via);
    // An origin a CloudFront Function changed is not one of the configured objects: build its event form.
    const configured = this.originsById.get(origin.id) === origin;
    return { ...request, headers, origin: configured ? this.defaultOrigins.get(origin.id)! : RequestLifecycle.defaultOrigin(origin) };
  }

  /** The `origin.custom` object of the origin-request event, as CloudFront fills it from the origin's settings. */
  private static defaultOrigin(origin: OriginConfig): CfCustomOrigin {
    const customHeaders: CfHeaders = {};
    for (const [name, value] of Object.entries(origin.customHeaders)) {
      const lower = name.toLowerCase();
      (customHeaders[lower] ??= []).push(Object.freeze({ key: name, value }));
    }
    for (const lower in customHeaders) Object.freeze(customHeaders[lower]);
    return Object.freeze({
      customHeaders: Object.freeze(customHeaders),
      domainName: origin.domainName,
      keepaliveTimeout: 5,
      path: origin.path,
      port: origin.port,
      protocol: origin.protocol,
      readTimeout: Math.ceil(origin.readTimeoutMs / 1000),
      sslProtocols: Object.freeze(['TLSv1.2']) as string[],
    });
  }

  private fetchOrigin(req: IncomingMessage | undefined, request: EdgeRequest, origin: OriginConfig, body: Buffer | undefined, res: ServerResponse | undefined): Promise<OriginResponse> {
    const custom = request.origin!;
    const headers = request.headers.slice();
    // Expect: 100-continue was met at this hop: Node's server answered 100 Continue to the viewer before
    // the request reached us (RFC 9110 §10.1.1), and undici refuses to send Expect (UND_ERR_NOT_SUPPORTED),
    // which turned every `curl --data-binary @big-file` into a 502.
    removeHeader(headers, 'expect');
    // Origin custom headers are added by CloudFront last and win over viewer headers of the same name.
    for (const lower in custom.customHeaders) {
      removeHeader(headers, lower);
      for (const e of custom.customHeaders[lower]!) headers.push(e.key ?? titleCase(lower), e.value);
    }
    if (body !== undefined) {
      removeHeader(headers, 'content-length');
      headers.push('Content-Length', String(body.length));
    }
    const changedOrigin = custom.domainName !== origin.domainName || custom.port !== origin.port || custom.protocol !== origin.protocol;
    return this.origins.request(
      {
        protocol: custom.protocol,
        domainName: custom.domainName,
        port: custom.port,
        connectTimeoutMs: origin.connectTimeoutMs,
        readTimeoutMs: changedOrigin ? custom.readTimeout * 1000 : origin.readTimeoutMs,
        keepaliveTimeoutMs: custom.keepaliveTimeout * 1000,
      },
      {
        method: request.method,
        path: custom.path + request.uri + (request.querystring === '' ? '' : `?${request.querystring}`),
        headers,
        body: body ?? (req !== undefined && hasRequestBody(req) ? req : null),
        // 103 Early Hints go on to the viewer at once and are never stored (RFC 8297; RFC 9111 §3).
        onEarlyHints: res === undefined ? undefined : (raw) => sendEarlyHints(res, raw),
      },
    );
  }

  private send(req: IncomingMessage, res: ServerResponse, record: RequestRecord, pending: PendingResponse, cacheStatus: CacheStatus, member: CacheStatusMember): void {
    const { response } = pending;
    const status = Number(response.status);
    record.status = status;
    record.cacheStatus = cacheStatus;
    const raw = response.headers.slice();
    const withBody = mayHaveBody(req.method ?? 'GET', status);
    let length: number | undefined;
    if (pending.origin !== undefined) {
      // The origin's body goes out unchanged, so its framing stays the origin's: a Content-Length a
      // function changed would disagree with the bytes sent and corrupt the connection (RFC 9112 §6.3).
      const sent = headerValue(pending.origin.rawHeaders, 'content-length');
      if (headerValue(raw, 'content-length') !== sent) {
        removeHeader(raw, 'content-length');
        if (sent !== undefined) raw.push('Content-Length', sent);
      }
    } else {
      // A body we hold, stream or read from the store: its length is ours to state.
      removeHeader(raw, 'content-length');
      removeHeader(raw, 'transfer-encoding');
      if (pending.entry !== undefined) length = pending.range === undefined ? pending.entry.meta.bodySize : pending.range.end - pending.range.start + 1;
      else if (pending.stream !== undefined) length = pending.streamLength;
      else length = pending.body?.length ?? 0;
      // 304 and 204 carry no Content-Length of their own (RFC 9110 §8.6); HEAD states the GET's.
      if (length !== undefined && status !== 204 && status !== 304) raw.push('Content-Length', String(length));
    }
    raw.push('X-Cache', xCacheValue(cacheStatus), 'X-Verge-Request-Id', record.requestId);
    // RFC 9211 §2: each cache appends its member after those of caches nearer the origin.
    const upstream = headerValue(raw, 'cache-status');
    if (upstream !== undefined) setHeader(raw, 'Cache-Status', `${upstream.replaceAll('\n', ', ')}, ${cacheStatusValue(member)}`);
    else raw.push('Cache-Status', cacheStatusValue(member));
    try {
      res.writeHead(status, response.statusDescription || undefined, raw);
    } catch (err) {
      // Node refused a header the origin sent (our validation covers what functions send).
      dropBody(pending);
      throw new VergeError('VERGE_ERR_ORIGIN_INVALID_RESPONSE', `The response could not be sent: ${(err as Error).message}`, 'system');
    }
    record.firstByteMs = performance.now();
    if (!withBody) {
      dropBody(pending);
      res.end();
      return;
    }
    if (pending.origin !== undefined) {
      pending.origin.pipeTo(res, (err) => {
        this.logger.warn({ type: 'origin-body-error', requestId: record.requestId, err: err.message }, 'The origin body failed mid-stream');
        res.destroy(err);
      });
      return;
    }
    const entry = pending.entry;
    if (entry?.bodyBytes !== undefined) {
      // A body in memory goes out with the headers in one write: no stream per hit.
      res.end(entry.bodyBytes(pending.range));
      return;
    }
    const stream = entry !== undefined ? entry.body(pending.range) : pending.stream;
    if (stream !== undefined) {
      pipeline(stream, res, (err) => {
        if (err === undefined || err === null || res.destroyed && !res.writableFinished && err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
        this.logger.warn({ type: 'body-stream-error', requestId: record.requestId, err: err.message }, 'A response body failed mid-stream');
      });
      return;
    }
    res.end(pending.body);
  }

  private fail(res: ServerResponse, record: RequestRecord, err: unknown): void {
    const p = presentError(err, { executionErrorStatus: this.config.errors.executionErrorStatus });
    record.status = p.status;
    record.cacheStatus = p.cacheStatus;
    record.errorCode = p.code;
    const details = err instanceof VergeError ? err.details : { stack: err instanceof Error ? err.stack : String(err) };
    this.logger[p.logLevel]({ type: 'error', code: p.code, requestId: record.requestId, uri: record.uri, ...details }, p.message);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = errorBody(p, record.requestId);
    res.writeHead(p.status, {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
      'X-Cache': xCacheValue(p.cacheStatus),
      'X-Verge-Request-Id': record.requestId,
    });
    record.firstByteMs = performance.now();
    res.end(body);
  }
}

/** Splits a request hook's result into the request without `body` and the body to send upstream. */
function takeBody(request: EdgeRequest, buffered: Buffer | undefined): { request: EdgeRequest; body: Buffer | undefined } {
  if (request.body === undefined) return { request, body: buffered };
  const { body, ...rest } = request;
  return { request: rest, body: upstreamBody(body, buffered) };
}


/** Drops whatever body the response had (the origin's connection is released, streams destroyed). */
function dropBody(pending: PendingResponse): void {
  pending.origin?.discard();
  pending.stream?.destroy();
  pending.origin = undefined;
  pending.stream = undefined;
  pending.entry = undefined;
  pending.range = undefined;
  pending.body = undefined;
}

/** The response's body as a stream (the origin's, or bytes in hand). */
function bodyStream(pending: PendingResponse): Readable {
  if (pending.stream !== undefined) return pending.stream;
  if (pending.origin !== undefined) return pending.origin.toReadable();
  return Readable.from([pending.body ?? Buffer.alloc(0)]);
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
function answerViewerConditionals(request: EdgeRequest, pending: PendingResponse): void {
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

const VIEWER_CONDITIONALS = ['if-none-match', 'if-modified-since', 'if-range', 'range'];

/**
 * The viewer's request as it goes to the origin from the cache step: Accept-Encoding normalised to
 * the coding in the key (CloudFront forwards the normalised value), and on a cacheable miss without
 * the viewer's own conditionals, so the origin sends the full response the cache can store.
 */
function toOriginBound(request: EdgeRequest, coding: ContentCoding, full: boolean): EdgeRequest {
  const headers = request.headers.slice();
  if (full) for (const name of VIEWER_CONDITIONALS) removeHeader(headers, name);
  if (coding !== 'identity') setHeader(headers, 'Accept-Encoding', coding === 'br' ? 'br, gzip' : 'gzip');
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

/** Passes a 103 on to the viewer; Node sends one only with a Link field, which is what hints are for. */
function sendEarlyHints(res: ServerResponse, raw: readonly string[]): void {
  if (res.headersSent || res.destroyed) return;
  const hints: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const existing = hints[name];
    hints[name] = existing === undefined ? raw[i + 1]! : [...(Array.isArray(existing) ? existing : [existing]), raw[i + 1]!];
  }
  try {
    res.writeEarlyHints(hints);
  } catch {
    // A Link value Node refuses: the hint is an optimisation, the response still comes.
  }
}
