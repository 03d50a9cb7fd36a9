import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { edgeResultType, type CacheStatus } from '../cache/cache-status.ts';
import { infoLineWriter, isoTime, q } from './json-line.ts';
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
  const iso = isoTime(r.startedAt.getTime());
  const h = req.headers;
  const result = edgeResultType(r.cacheStatus);
  const csBytes = Number(h['content-length'] ?? 0);
  const ttfb = r.firstByteMs === undefined ? '"-"' : String(round3((r.firstByteMs - r.startedMs) / 1000));
  const write = infoLineWriter(logger);
  // Field by field as pino would write them; see json-line.ts for why this line is built by hand.
  const body =
    `"type":"access","date":"${iso.slice(0, 10)}","time":"${iso.slice(11, 19)}","x-edge-location":${q(location)},` +
    `"sc-bytes":${bytesSent},"c-ip":${q(socket.remoteAddress)},"cs-method":${q(req.method)},"cs(Host)":${q(h.host)},` +
    `"cs-uri-stem":${q(r.uri)},"sc-status":${r.status},"cs(Referer)":${q(h.referer)},"cs(User-Agent)":${q(h['user-agent'])},` +
    `"cs-uri-query":${q(r.querystring === '' ? undefined : r.querystring)},"cs(Cookie)":"${h.cookie === undefined ? '-' : '(present)'}",` +
    `"x-edge-result-type":"${result}","x-edge-request-id":${q(r.requestId)},"x-host-header":${q(h.host)},"cs-protocol":"http",` +
    `"cs-bytes":${Number.isFinite(csBytes) ? csBytes : 0},"time-taken":${round3((performance.now() - r.startedMs) / 1000)},` +
    `"x-forwarded-for":${q(headerText(h['x-forwarded-for']))},"x-edge-response-result-type":"${result}","cs-protocol-version":${q(`HTTP/${req.httpVersion}`)},` +
    `"c-port":${socket.remotePort ?? 0},"time-to-first-byte":${ttfb},` +
    // CloudFront's detailed type names the outcome class (LambdaExecutionError, …); our stable error
    // code goes in a field of its own so the outcome stays one value (STYLE.md habit 9).
    `"x-edge-detailed-result-type":"${r.cacheStatus}","x-verge-error-code":${q(r.errorCode)}`;
  // CloudFront's `date` and `time` fields carry the timestamp; pino's own `time` key would collide.
  if (write !== undefined) write(body, undefined, false);
  else if (logger.isLevelEnabled('info')) logger.info(JSON.parse(`{${body}}`));
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Node joins most repeated headers into one string, but its types allow a list. */
function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}
