// Runs INSIDE the isolate. The `crypto` global (W3C WebCrypto §10): getRandomValues and randomUUID,
// from the host's CSPRNG through the sandbox's private host call. `subtle` is left to the unit that
// bridges SubtleCrypto (branch issue3-async): it sets `sandbox.webCrypto.subtle` when installed.

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];

export function randomFill(sandbox, view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let off = 0; off < bytes.length; off += 65536) {
    bytes.set(sandbox.host('random', Math.min(65536, bytes.length - off)), off);
  }
  return view;
}

export function randomUUID(sandbox) {
  // RFC 9562 §5.4: version 4, variant 10xx.
  const b = sandbox.host('random', 16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let hex = '';
  for (let i = 0; i < 16; i++) hex += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return hex.slice(0, 8) + '-' + hex.slice(8, 12) + '-' + hex.slice(12, 16) + '-' + hex.slice(16, 20) + '-' + hex.slice(20);
}

export default function install(sandbox) {
  class Crypto {
    getRandomValues(array) {
      if (!ArrayBuffer.isView(array) || !INTEGER_ARRAYS.some((T) => array instanceof T)) {
        const err = new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not an integer-type ArrayBufferView");
        err.name = 'TypeMismatchError';
        throw err;
      }
      if (array.byteLength > 65536) {
        const err = new Error("Failed to execute 'getRandomValues' on 'Crypto': The ArrayBufferView's byte length (" + array.byteLength + ') exceeds the number of bytes of entropy available via this API (65536).');
        err.name = 'QuotaExceededError';
        throw err;
      }
      return randomFill(sandbox, array);
    }
    randomUUID() {
      return randomUUID(sandbox);
    }
  }
  sandbox.defineGlobals('web-crypto', () => {
    const crypto = new Crypto();
    sandbox.webCrypto = crypto;
    return { crypto };
  });
}
