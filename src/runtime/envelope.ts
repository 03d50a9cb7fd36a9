/**
 * What every call into lambda-edge.isolate.js returns, decoded. The isolate side builds it with its
 * own captured JSON.stringify; the host trusts nothing in it beyond its shape.
 */
export interface Envelope {
  /** R: result, E: the handler failed, V: the result could not be serialised, P: pending. */
  readonly s: 'R' | 'E' | 'V' | 'P';
  readonly v: unknown;
  /** Buffered console lines: [level, text]. */
  readonly l: ReadonlyArray<readonly [string, string]>;
  /** Timers the isolate asked for: [timerId, delayMs]. */
  readonly t: ReadonlyArray<readonly [number, number]>;
  /** Timers the isolate cancelled. */
  readonly c: readonly number[];
}

export interface ThrownInfo {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

export function decodeEnvelope(raw: unknown): Envelope {
  if (typeof raw !== 'string') throw new TypeError('isolate returned a non-string envelope');
  const env = JSON.parse(raw) as Envelope;
  if (env === null || typeof env !== 'object' || typeof env.s !== 'string') throw new TypeError('isolate returned a malformed envelope');
  return env;
}

export function thrownInfo(v: unknown): ThrownInfo {
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return {
      name: typeof o.name === 'string' ? o.name : 'Error',
      message: typeof o.message === 'string' ? o.message : String(o.message),
      stack: typeof o.stack === 'string' ? o.stack : undefined,
    };
  }
  return { name: 'Error', message: String(v) };
}
