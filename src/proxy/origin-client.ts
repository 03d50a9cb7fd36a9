import type { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { Pool, type Dispatcher } from 'undici';
import { OriginTimeoutError, OriginUnreachableError } from '../errors/origin-errors.ts';
import { OriginResponse } from './origin-response.ts';

/** Where one request goes: a custom origin as CloudFront describes it (after origin-request). */
export interface OriginTarget {
  readonly protocol: 'http' | 'https';
  readonly domainName: string;
  readonly port: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly keepaliveTimeoutMs: number;
}

export interface OriginRequest {
  readonly method: string;
  /** Path and query, base path of the origin included. */
  readonly path: string;
  /** Flat [name, value…], hop-by-hop fields already removed. */
  readonly headers: string[];
  readonly body: Readable | Buffer | null;
  /** Called with the header list of each 103 Early Hints the origin sends before its response (RFC 8297). */
  readonly onEarlyHints?: ((rawHeaders: string[]) => void) | undefined;
}

/** Origins named by functions at run time are pooled too, but only this many pools stay open. */
const MAX_POOLS = 256;

/**
 * Keep-alive connection pools to origins (undici), one per origin address and timeout set. Responses
 * come back with raw headers (case, order and duplicates as the origin sent them) and an unread body.
 */
export class OriginClient {
  private readonly pools = new LRUCache<string, Pool>({
    max: MAX_POOLS,
    dispose: (pool) => void pool.close().catch(() => undefined),
  });

  /** Sends the request; resolves when the origin's status and headers have arrived. */
  request(target: OriginTarget, req: OriginRequest): Promise<OriginResponse> {
    const pool = this.pool(target);
    const originLabel = `${target.protocol}://${target.domainName}:${target.port}`;
    return new Promise((resolve, reject) => {
      const opts: Dispatcher.DispatchOptions = {
        method: req.method as Dispatcher.HttpMethod,
        path: req.path,
        headers: req.headers,
        body: req.body,
        headersTimeout: target.readTimeoutMs,
        bodyTimeout: target.readTimeoutMs,
      };
      const response = new OriginResponse();
      let started = false;
      pool.dispatch(opts, {
        onRequestStart: () => undefined,
        onResponseStart: (controller, statusCode, _headers, statusMessage) => {
          // 1xx interim responses (100 Continue, 103 Early Hints) are not the final response.
          if (statusCode < 200) {
            if (statusCode === 103) req.onEarlyHints?.(rawHeaderStrings(controller.rawHeaders));
            return;
          }
          started = true;
          response.start(controller, statusCode, statusMessage ?? '', rawHeaderStrings(controller.rawHeaders));
          resolve(response);
        },
        onResponseData: (controller, chunk) => response.data(controller, chunk),
        onResponseEnd: () => response.end(),
        onResponseError: (_controller, err) => {
          const mapped = mapOriginError(err, originLabel, target);
          if (started) response.fail(mapped);
          else reject(mapped);
        },
      });
    });
  }

  /**
   * Called after the viewer side has drained: whatever is still open towards an origin serves no
   * viewer any more, so it is destroyed rather than awaited (close() would wait up to readTimeoutMs
   * for an origin that never answers).
   */
  close(): Promise<void> {
    const closing = [...this.pools.values()].map((p) => p.destroy().catch(() => undefined));
    this.pools.clear();
    return Promise.all(closing).then(() => undefined);
  }

  private pool(t: OriginTarget): Pool {
    const key = `${t.protocol}://${t.domainName}:${t.port}|${t.connectTimeoutMs}|${t.keepaliveTimeoutMs}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = new Pool(`${t.protocol}://${t.domainName}:${t.port}`, {
        connect: { timeout: t.connectTimeoutMs },
        keepAliveTimeout: t.keepaliveTimeoutMs,
        connections: 256,
      });
      this.pools.set(key, pool);
    }
    return pool;
  }
}

function rawHeaderStrings(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const out = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = typeof raw[i] === 'string' ? raw[i] : (raw[i] as Buffer).toString('latin1');
  return out;
}

/** undici's failures → our codes: no answer in time is 504, anything before a response is 502. */
function mapOriginError(err: Error, origin: string, t: OriginTarget): Error {
  const code = (err as { code?: string }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new OriginTimeoutError(`The origin ${origin} did not respond within ${t.readTimeoutMs} ms`, { origin, cause: code }, { cause: err });
  }
  return new OriginUnreachableError(`The origin ${origin} could not be reached: ${code ?? err.message}`, { origin, cause: code ?? err.message }, { cause: err });
}
