import type { EventType } from '../config/types.ts';
import type { WireEvent } from '../runtime/isolate-instance.ts';
import type { EdgeRequest, EdgeResponse } from './edge-message.ts';

export interface DistributionInfo {
  readonly id: string;
  readonly domainName: string;
}

const NO_HEADERS = '';

/**
 * The host's half of the isolate wire (format at the top of runtime/lambda-edge.isolate.js): the
 * event's scalars as lines, headers as the raw list joined with "\n". Measured here, this costs
 * ~1 µs where serialising the CloudFront object graph (JSON or isolated-vm's copy) cost 4–18 µs; the
 * isolate builds the objects itself, which it must do in any case.
 *
 * `meta` is one line per scalar, in a fixed order (eventType, requestId, deadline, distribution
 * domain and id, clientIp, method, uri, querystring, status, statusDescription), then the body and
 * the origin as JSON ("" when absent): JSON has no raw newline, so the last two lines cannot run into
 * each other. Lines rather than one JSON object because they are cheaper at both ends (measured on
 * this machine: 0.14 against 0.47 µs to make, ~0.2 against ~0.6 µs to read inside the isolate). A
 * text scalar holding a newline (a uri a viewer-request function set, say) cannot be a line: such an
 * event goes as one JSON object instead, which the isolate tells by its first character, "{".
 */
export function encodeEvent(
  eventType: EventType,
  distribution: DistributionInfo,
  requestId: string,
  deadlineEpochMs: number,
  request: EdgeRequest,
  response?: EdgeResponse,
): WireEvent {
  const { clientIp, method, uri, querystring, body, origin } = request;
  const status = response === undefined ? '' : response.status;
  const statusDescription = response === undefined ? '' : response.statusDescription;
  const requestHeaders = request.headers.join('\n');
  const responseHeaders = response === undefined ? NO_HEADERS : response.headers.join('\n');
  if (
    requestId.includes('\n') ||
    distribution.domainName.includes('\n') ||
    distribution.id.includes('\n') ||
    clientIp.includes('\n') ||
    method.includes('\n') ||
    uri.includes('\n') ||
    querystring.includes('\n') ||
    status.includes('\n') ||
    statusDescription.includes('\n')
  ) {
    const meta = JSON.stringify({
      e: eventType,
      r: requestId,
      dl: deadlineEpochMs,
      dn: distribution.domainName,
      di: distribution.id,
      ip: clientIp,
      m: method,
      u: uri,
      q: querystring,
      b: body,
      s: response?.status,
      sd: response?.statusDescription,
      o: origin,
    });
    return { meta, requestHeaders, responseHeaders };
  }
  const meta =
    eventType + '\n' + requestId + '\n' + deadlineEpochMs + '\n' + distribution.domainName + '\n' + distribution.id + '\n' + clientIp + '\n' +
    method + '\n' + uri + '\n' + querystring + '\n' + status + '\n' + statusDescription + '\n' +
    (body === undefined ? '' : JSON.stringify(body)) + '\n' + (origin === undefined ? '' : originJson(origin));
  return { meta, requestHeaders, responseHeaders };
}

/**
 * An origin-request or origin-response event's origin as JSON. The origins the host builds for these
 * events are frozen through and through (RequestLifecycle: one per configured origin, and one per
 * origin a CloudFront Function chose), so their JSON cannot go stale and is made once per object:
 * JSON.stringify on such a frozen object cost ~1.0 µs of the ~1.5 µs an origin event's encoding
 * took (measured here). An origin an origin-request function changed is a new, unfrozen object and
 * is serialised each time.
 */
const originJsonCache = new WeakMap<object, string>();
function originJson(origin: object): string {
  let json = originJsonCache.get(origin);
  if (json === undefined) {
    json = JSON.stringify(origin);
    if (Object.isFrozen(origin)) originJsonCache.set(origin, json);
  }
  return json;
}

/** A handler's result off the wire: its scalars (unchecked) and its headers, flat. */
export interface WireResult {
  readonly scalars: Record<string, unknown>;
  readonly headers: string[];
}

/**
 * A result payload (lambda-edge.isolate.js encodeResult; cloudfront-functions.isolate.js sends JSON
 * only): the scalars as lines ("Q", h, uri, querystring, method | "S", h, status,
 * statusDescription; a field is "u" when absent or "s" and the string), or as one JSON object when
 * the first character is "{"; then "\n" and the header lines. Lines are not trusted any more than
 * JSON: a malformed one yields scalars that fail the result checks (cf-result.ts).
 */
export function decodeResult(payload: string): WireResult {
  if (payload.charCodeAt(0) === 0x7b /* { */) {
    const nl = payload.indexOf('\n');
    const scalars = JSON.parse(nl === -1 ? payload : payload.slice(0, nl)) as Record<string, unknown>;
    const rest = nl === -1 ? '' : payload.slice(nl + 1);
    return { scalars, headers: rest === '' ? [] : rest.split('\n') };
  }
  const lines = payload.split('\n');
  const t = lines[0];
  const h = Number(lines[1]);
  if (t === 'Q') {
    return { scalars: { t, h, uri: lineField(lines[2]), querystring: lineField(lines[3]), method: lineField(lines[4]) }, headers: lines.slice(5) };
  }
  if (t === 'S') return { scalars: { t, h, status: lines[2], statusDescription: lineField(lines[3]) }, headers: lines.slice(4) };
  return { scalars: {}, headers: [] };
}

/** A scalar's line: "u" for absent, "s" and the string; anything else reads as absent. */
function lineField(line: string | undefined): string | undefined {
  return line !== undefined && line.charCodeAt(0) === 0x73 /* s */ ? line.slice(1) : undefined;
}
