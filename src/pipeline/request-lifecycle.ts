import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
import { cacheStatusValue, xCacheValue, type CacheStatus, type CacheStatusMember } from '../cache/cache-status.ts';
import type { HttpCache } from '../cache/http-cache.ts';
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
import { answerViewerConditionals, CacheStep } from './cache-step.ts';
import { dropBody, type Exchange, type Forwarded, type PendingResponse } from './exchange.ts';
import { hasWeights, pickVersions, viewerBucket, viewerId } from './weighted-association.ts';

export interface LifecycleOptions {
  readonly config: VergeConfig;
  readonly hooks: HookRunner;
  readonly origins: OriginClient;
  readonly logger: Logger;
  /** The node's HTTP cache. */
  readonly cache: HttpCache;
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
  private readonly cacheStep: CacheStep;
  private readonly originsById: ReadonlyMap<string, OriginConfig>;
  private readonly defaultOrigins: ReadonlyMap<string, CfCustomOrigin>;
  /** CloudFront: `Via: 1.1 d111111abcdef8.cloudfront.net (CloudFront)`. */
  private readonly via: string;

  constructor(options: LifecycleOptions) {
    this.config = options.config;
    this.hooks = options.hooks;
    this.origins = options.origins;
    this.logger = options.logger;
    this.cacheStep = new CacheStep({ cache: options.cache, logger: options.logger, forward: (ctx, request) => this.forward(ctx, request) });
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
    // Weighted associations resolve to one version per viewer, once, for every event of this request.
    const fns = hasWeights(behavior.functions) ? pickVersions(behavior.functions, viewerBucket(viewerId(req.headers.cookie, req.socket.remoteAddress ?? ''))) : behavior.functions;
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
      functions: fns,
      origin: originOverride ?? this.originsById.get(behavior.originId)!,
      viewerRequest: request,
      bufferedBody,
    };

    const served = await this.cacheStep.serve(ctx);
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

  /** origin-request → origin → origin-response: what runs on a miss or a revalidation. */
  private async forward(ctx: Exchange, viewerBound: EdgeRequest): Promise<Forwarded> {
    const fns = ctx.functions;
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
