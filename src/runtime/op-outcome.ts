/**
 * What a host operation hands back to the isolate (through the bootstrap's `settleOp` entry): JSON
 * text, and the result's bytes (a response body, a digest, a signature) as one exact ArrayBuffer copy.
 * A failure carries the error as `{name, message, cause?}`; the isolate rebuilds it as its own error.
 */
export interface OpOutcome {
  readonly ok: boolean;
  readonly json: string;
  readonly bytes?: ArrayBuffer;
}

/** A failure for the isolate: `name` picks the isolate's class (TypeError, or a DOMException name). */
export function opFailure(name: string, message: string, cause?: { message: string; code?: string }): OpOutcome {
  return { ok: false, json: JSON.stringify(cause === undefined ? { name, message } : { name, message, cause }) };
}

/** An ArrayBuffer holding exactly these bytes (a Buffer may be a view into a larger shared pool). */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
