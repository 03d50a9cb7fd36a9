// Runs INSIDE the isolate. Byte helpers for the host-operation units (fetch, crypto.subtle): the
// "binary string" form in which bytes cross to the host inside the envelope's JSON (one char per byte,
// 0-255; the host reads it back with Buffer.from(s, 'latin1')), copies of BufferSources, and UTF-8 as
// Response.text() needs it (Fetch §5.3 "UTF-8 decode": a leading BOM is dropped, invalid sequences
// become U+FFFD). Bundled into each unit that imports it; it keeps no state.
import { utf8Decode as decode, utf8Encode } from './encoding.isolate.js';

const U8 = Uint8Array;
const fromCharCode = String.fromCharCode;
const apply = Reflect.apply;
const isView = ArrayBuffer.isView;
const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength').get;
const sliceAB = ArrayBuffer.prototype.slice;
const CHUNK = 8192;

export { utf8Encode };

export function utf8Decode(bytes) {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return decode(start === 0 ? bytes : bytes.subarray(start), false);
}

/** Bytes → a string of char codes 0-255 (crosses in JSON; the host reads it as latin1). */
export function toBinary(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += CHUNK) out += apply(fromCharCode, undefined, bytes.subarray(i, i + CHUNK));
  return out;
}

function isArrayBuffer(v) {
  try {
    apply(byteLengthOf, v, []);
    return true;
  } catch {
    return false;
  }
}

/** A copy of a BufferSource's bytes (WebIDL BufferSource: an ArrayBuffer or a view), or null. */
export function copyBufferSource(v) {
  if (v === null || typeof v !== 'object') return null;
  if (isView(v)) return new U8(v.buffer, v.byteOffset, v.byteLength).slice();
  if (isArrayBuffer(v)) return new U8(apply(sliceAB, v, [0]));
  if (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer) return new U8(v).slice();
  return null;
}
