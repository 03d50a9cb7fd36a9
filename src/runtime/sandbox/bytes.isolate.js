// Runs INSIDE a V8 isolate. Byte helpers for the host-op globals (fetch, crypto.subtle): UTF-8 per the
// WHATWG Encoding Standard (§4.1 "UTF-8 decode" replaces each invalid sequence with U+FFFD) and the
// "binary string" form in which bytes cross to the host inside the envelope's JSON (one char per byte,
// 0-255; the host reads it back with Buffer.from(s, 'latin1')). Private to the host-op scripts: kept
// here rather than borrowed from the global TextEncoder so user code that replaces globals cannot
// change what a request carries.
(function bytesCodec() {
  'use strict';
  const U8 = Uint8Array;
  const fromCharCode = String.fromCharCode;
  const apply = Reflect.apply;
  const isView = ArrayBuffer.isView;
  const ABProto = ArrayBuffer.prototype;
  const byteLengthOf = Object.getOwnPropertyDescriptor(ABProto, 'byteLength').get;
  const sliceAB = ABProto.slice;
  const SABProto = typeof SharedArrayBuffer === 'function' ? SharedArrayBuffer.prototype : null;
  const CHUNK = 8192;

  function utf8Encode(str) {
    const s = String(str);
    const out = new U8(s.length * 3);
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate (USVString conversion)
      if (c < 0x80) out[n++] = c;
      else if (c < 0x800) {
        out[n++] = 0xc0 | (c >> 6);
        out[n++] = 0x80 | (c & 63);
      } else if (c < 0x10000) {
        out[n++] = 0xe0 | (c >> 12);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      } else {
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 63);
        out[n++] = 0x80 | ((c >> 6) & 63);
        out[n++] = 0x80 | (c & 63);
      }
    }
    return out.slice(0, n);
  }

  function utf8Decode(bytes) {
    let out = '';
    let codes = [];
    let i = 0;
    // A leading BOM is dropped, as TextDecoder and Response.text() do.
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) i = 3;
    while (i < bytes.length) {
      const b = bytes[i];
      let cp = 0xfffd;
      let need = 0;
      let lower = 0x80;
      let upper = 0xbf;
      if (b < 0x80) {
        cp = b;
      } else if (b >= 0xc2 && b <= 0xdf) {
        need = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        cp = b & 0xf;
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        cp = b & 0x7;
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
      }
      i++;
      if (need > 0) {
        let ok = true;
        for (let k = 0; k < need; k++) {
          const c = bytes[i];
          if (i >= bytes.length || c < lower || c > upper) {
            ok = false;
            break;
          }
          lower = 0x80;
          upper = 0xbf;
          cp = (cp << 6) | (c & 63);
          i++;
        }
        if (!ok) cp = 0xfffd;
      }
      if (cp >= 0x10000) {
        cp -= 0x10000;
        codes[codes.length] = 0xd800 + (cp >> 10);
        codes[codes.length] = 0xdc00 + (cp & 0x3ff);
      } else {
        codes[codes.length] = cp;
      }
      if (codes.length >= CHUNK) {
        out += apply(fromCharCode, undefined, codes);
        codes = [];
      }
    }
    return out + apply(fromCharCode, undefined, codes);
  }

  /** Bytes → a string of char codes 0-255 (crosses in JSON; the host reads it as latin1). */
  function toBinary(bytes) {
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
  function copyBufferSource(v) {
    if (v === null || typeof v !== 'object') return null;
    if (isView(v)) return new U8(v.buffer, v.byteOffset, v.byteLength).slice();
    if (isArrayBuffer(v)) return new U8(apply(sliceAB, v, [0]));
    if (SABProto !== null && v instanceof SharedArrayBuffer) return new U8(v).slice();
    return null;
  }

  return { utf8Encode, utf8Decode, toBinary, copyBufferSource };
})
