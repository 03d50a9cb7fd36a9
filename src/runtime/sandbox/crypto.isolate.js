// Runs INSIDE the isolate. The parts of Node's `crypto` module edge code uses: createHash, createHmac,
// randomBytes, randomUUID, randomInt, timingSafeEqual, getRandomValues, getHashes. Hashing and
// randomness run in the host's OpenSSL through the sandbox's private host call (host-bridge.ts); data
// is gathered here and crosses once, as bytes, at digest().
import { randomFill, randomUUID } from './web-crypto.isolate.js';

function create(sandbox) {
  const { Buffer } = sandbox.require('buffer');
  // The host's answer is a fresh copy already: wrap it, don't copy it again.
  const wrap = (u8) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

  const toBytes = (data, encoding, what) => {
    if (typeof data === 'string') return Buffer.from(data, encoding === undefined ? 'utf8' : encoding);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const err = new TypeError('The "' + what + '" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  };

  const concat = (chunks) => {
    let total = 0;
    for (const c of chunks) total += c.length;
    const out = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  };

  const finished = () => {
    const err = new Error('Digest already called');
    err.code = 'ERR_CRYPTO_HASH_FINALIZED';
    return err;
  };

  // Hash and Hmac keep their state in private fields: user code cannot reach the chunks or the key.
  // What they share: data gathered by update() and sent to the host once, by digest().
  let chunksOf;
  class Digest {
    #compute;
    #chunks = [];
    #done = false;
    static {
      // For Hash#copy only (Hmac has no copy, as in Node).
      chunksOf = (d) => {
        if (d.#done) throw finished();
        return d.#chunks;
      };
    }
    constructor(compute) {
      this.#compute = compute;
    }
    update(data, inputEncoding) {
      if (this.#done) throw finished();
      this.#chunks.push(new Uint8Array(toBytes(data, inputEncoding, 'data')));
      return this;
    }
    digest(outputEncoding) {
      if (this.#done) throw finished();
      this.#done = true;
      const out = wrap(this.#compute(concat(this.#chunks)));
      this.#chunks = [];
      return outputEncoding === undefined || outputEncoding === 'buffer' ? out : out.toString(outputEncoding);
    }
  }

  class Hash extends Digest {
    #algorithm;
    constructor(algorithm) {
      const name = String(algorithm);
      // Node rejects an unknown algorithm at creation: ask the host now with no data.
      sandbox.host('hash', name, new Uint8Array(0));
      super((bytes) => sandbox.host('hash', name, bytes));
      this.#algorithm = name;
    }
    copy() {
      const chunks = chunksOf(this);
      const h = new Hash(this.#algorithm);
      for (const c of chunks) h.update(c);
      return h;
    }
  }

  class Hmac extends Digest {
    constructor(algorithm, key, ...rest) {
      const name = String(algorithm);
      const keyEncoding = rest.length > 0 && typeof rest[0] === 'object' && rest[0] !== null ? rest[0].encoding : undefined;
      const keyBytes = new Uint8Array(toBytes(key, keyEncoding, 'key'));
      sandbox.host('hmac', name, keyBytes, new Uint8Array(0));
      super((bytes) => sandbox.host('hmac', name, keyBytes, bytes));
    }
  }

  function randomBytes(size, callback) {
    const n = Number(size);
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 31 - 1) {
      const err = new RangeError('The value of "size" is out of range. It must be >= 0 && <= 2147483647. Received ' + String(size));
      err.code = 'ERR_OUT_OF_RANGE';
      throw err;
    }
    const buf = randomFill(sandbox, Buffer.alloc(n));
    if (typeof callback === 'function') {
      Promise.resolve().then(() => callback(null, buf));
      return undefined;
    }
    return buf;
  }

  function randomInt(min, max, callback) {
    if (max === undefined || typeof max === 'function') {
      callback = max;
      max = min;
      min = 0;
    }
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48) {
      const err = new RangeError('The value of "max" is out of range. It must be greater than "min" and max - min <= 2^48');
      err.code = 'ERR_OUT_OF_RANGE';
      throw err;
    }
    // Rejection sampling over 48 random bits, as Node does, so every value is equally likely.
    const range = max - min;
    const limit = 2 ** 48 - (2 ** 48 % range);
    let x;
    do {
      const b = sandbox.host('random', 6);
      x = b[0] * 2 ** 40 + b[1] * 2 ** 32 + b[2] * 2 ** 24 + b[3] * 2 ** 16 + b[4] * 2 ** 8 + b[5];
    } while (x >= limit);
    const value = min + (x % range);
    if (typeof callback === 'function') {
      Promise.resolve().then(() => callback(null, value));
      return undefined;
    }
    return value;
  }

  function timingSafeEqual(a, b) {
    const x = toBytes(a, undefined, 'buf1');
    const y = toBytes(b, undefined, 'buf2');
    if (typeof a === 'string' || typeof b === 'string') {
      throw Object.assign(new TypeError('The "buf1" argument must be an instance of ArrayBuffer, Buffer, TypedArray, or DataView.'), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    if (x.length !== y.length) {
      throw Object.assign(new RangeError('Input buffers must have the same byte length'), { code: 'ERR_CRYPTO_TIMING_SAFE_EQUAL_LENGTH' });
    }
    let diff = 0;
    for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
    return diff === 0;
  }

  return {
    createHash: (algorithm) => new Hash(algorithm),
    createHmac: (algorithm, key, options) => new Hmac(algorithm, key, options),
    Hash,
    Hmac,
    randomBytes,
    pseudoRandomBytes: randomBytes,
    randomInt,
    randomUUID: () => randomUUID(sandbox),
    randomFillSync: (view) => randomFill(sandbox, view),
    getRandomValues: (view) => globalThis.crypto.getRandomValues(view),
    timingSafeEqual,
    getHashes: () => ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha512-256', 'sha3-256', 'sha3-384', 'sha3-512'],
    // Set when the SubtleCrypto unit (branch issue3-async) is installed.
    get webcrypto() {
      return globalThis.crypto;
    },
    get subtle() {
      return sandbox.webCrypto === undefined ? undefined : sandbox.webCrypto.subtle;
    },
  };
}

export default function install(sandbox) {
  sandbox.defineModule('crypto', () => create(sandbox));
}
