/**
 * What every call into a bootstrap returns, decoded (the format is described at the top of
 * lambda-edge.isolate.js; isolate-core.isolate.js writes it for both runtimes). The isolate side builds
 * it with its own captured intrinsics (sandbox/primordials.isolate.js); the host trusts nothing in
 * it beyond its framing, and the pipeline validates the payload as CloudFront validates results.
 */
export interface Envelope {
  /** R: result, E: the handler failed, V: the result has the wrong shape, P: pending. */
  readonly s: 'R' | 'E' | 'V' | 'P';
  /** R: the wire result; E: JSON error info; V: a message; P: ''. */
  readonly payload: string;
  /** Buffered console lines: [level, text]. */
  readonly l: ReadonlyArray<readonly [string, string]>;
  /** Timers the isolate asked for: [timerId, delayMs]. */
  readonly t: ReadonlyArray<readonly [number, number]>;
  /** Timers the isolate cancelled. */
  readonly c: readonly number[];
  /** Host operations the isolate started (fetch, crypto.subtle): see sandbox/host-ops.isolate.js. */
  readonly o: readonly HostOpRequest[];
  /** Host operations the isolate gave up on (an AbortSignal fired). */
  readonly a: readonly number[];
}

/** [opId, kind, args (JSON), bins: byte strings (one char per byte, 0-255)]. */
export type HostOpRequest = readonly [number, string, unknown, readonly string[]];

export interface ThrownInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

interface Meta {
  l?: [string, string][];
  t?: [number, number][];
  c?: number[];
  o?: HostOpRequest[];
  a?: number[];
}

const NONE: readonly never[] = Object.freeze([]);

export function decodeEnvelope(raw: unknown): Envelope {
  if (typeof raw !== 'string' || raw.length === 0) throw new TypeError('isolate returned a malformed envelope');
  const s = raw[0] as Envelope['s'];
  if (s !== 'R' && s !== 'E' && s !== 'V' && s !== 'P') throw new TypeError('isolate returned a malformed envelope');
  const nl = raw.indexOf('\n');
  const metaEnd = nl === -1 ? raw.length : nl;
  const payload = nl === -1 ? '' : raw.slice(nl + 1);
  if (metaEnd === 1) return { s, payload, l: NONE, t: NONE, c: NONE, o: NONE, a: NONE };
  const meta = JSON.parse(raw.slice(1, metaEnd)) as Meta;
  return {
    s,
    payload,
    l: Array.isArray(meta.l) ? meta.l : NONE,
    t: Array.isArray(meta.t) ? meta.t : NONE,
    c: Array.isArray(meta.c) ? meta.c : NONE,
    o: Array.isArray(meta.o) ? meta.o : NONE,
    a: Array.isArray(meta.a) ? meta.a : NONE,
  };
}

export function thrownInfo(payload: string): ThrownInfo {
  try {
    const o = JSON.parse(payload) as Record<string, unknown>;
    return {
      name: typeof o.name === 'string' ? o.name : 'Error',
      message: typeof o.message === 'string' ? o.message : String(o.message),
      stack: typeof o.stack === 'string' ? o.stack : undefined,
    };
  } catch {
    return { name: 'Error', message: '[unreadable error]' };
  }
}
