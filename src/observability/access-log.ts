import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { edgeResultType, type CacheStatus } from '../cache/cache-status.ts';
import type { Logger } from './logger.ts';

/** What the lifecycle learns about one request, filled in as it goes; logged once at the end. */
export interface RequestRecord {
  readonly requestId: string;
  readonly startedMs: number;
  readonly startedAt: Date;
  uri: string;
  querystring: string;
  status: number;
  cacheStatus: CacheStatus;
  /** Set when an error produced the response. */
  errorCode: string | undefined;
  firstByteMs: number | undefined;
}

/**
 * One line per request with CloudFront's standard log field names (Standard logging, "log file
 * fields"), so tools that read CloudFront logs can read ours. `socket` is the request's, taken when
 * it arrived: `req.socket` may be null by the time the line is written.
 */
export function logAccess(logger: Logger, location: string, req: IncomingMessage, socket: Socket, bytesSent: number, r: RequestRecord): void {
  const iso = r.startedAt.toISOString();
  const h = req.headers;
  const tookS = (performance.now() - r.startedMs) / 1000;
  logger.info({
    type: 'access',
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    'x-edge-location': location,
    'sc-bytes': bytesSent,
    'c-ip': socket.remoteAddress ?? '-',
    'cs-method': req.method,
    'cs(Host)': h.host ?? '-',
    'cs-uri-stem': r.uri,
    'sc-status': r.status,
    'cs(Referer)': h.referer ?? '-',
    'cs(User-Agent)': h['user-agent'] ?? '-',
    'cs-uri-query': r.querystring === '' ? '-' : r.querystring,
    'cs(Cookie)': h.cookie === undefined ? '-' : '(present)',
    'x-edge-result-type': edgeResultType(r.cacheStatus),
    'x-edge-request-id': r.requestId,
    'x-host-header': h.host ?? '-',
    'cs-protocol': 'http',
    'cs-bytes': Number(h['content-length'] ?? 0),
    'time-taken': round3(tookS),
    'x-forwarded-for': h['x-forwarded-for'] ?? '-',
    'x-edge-response-result-type': edgeResultType(r.cacheStatus),
    'cs-protocol-version': `HTTP/${req.httpVersion}`,
    'c-port': socket.remotePort ?? 0,
    'time-to-first-byte': r.firstByteMs === undefined ? '-' : round3((r.firstByteMs - r.startedMs) / 1000),
    // CloudFront's detailed type names the outcome class (LambdaExecutionError, …); our stable error
    // code goes in a field of its own so the outcome stays one value (STYLE.md habit 9).
    'x-edge-detailed-result-type': r.cacheStatus,
    'x-verge-error-code': r.errorCode ?? '-',
  });
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
