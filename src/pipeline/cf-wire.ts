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
 * event's scalars in one small JSON object, headers as the raw list joined with "\n". Measured here,
 * this costs ~1 µs where serialising the CloudFront object graph (JSON or isolated-vm's copy) cost
 * 4–18 µs; the isolate builds the objects itself, which it must do in any case.
 */
export function encodeEvent(
  eventType: EventType,
  distribution: DistributionInfo,
  requestId: string,
  deadlineEpochMs: number,
  request: EdgeRequest,
  response?: EdgeResponse,
): WireEvent {
  const scalars = JSON.stringify({
    e: eventType,
    r: requestId,
    dl: deadlineEpochMs,
    dn: distribution.domainName,
    di: distribution.id,
    ip: request.clientIp,
    m: request.method,
    u: request.uri,
    q: request.querystring,
    b: request.body,
    s: response?.status,
    sd: response?.statusDescription,
  });
  // The origin goes last, as JSON made once per origin object (see originJson).
  const meta = request.origin === undefined ? scalars : `${scalars.slice(0, -1)},"o":${originJson(request.origin)}}`;
  return { meta, requestHeaders: request.headers.join('\n'), responseHeaders: response === undefined ? NO_HEADERS : response.headers.join('\n') };
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

export function decodeResult(payload: string): WireResult {
  const nl = payload.indexOf('\n');
  const scalars = JSON.parse(nl === -1 ? payload : payload.slice(0, nl)) as Record<string, unknown>;
  const rest = nl === -1 ? '' : payload.slice(nl + 1);
  return { scalars, headers: rest === '' ? [] : rest.split('\n') };
}
