// Runs INSIDE a V8 isolate. crypto.subtle (W3C Web Cryptography API §14 SubtleCrypto) and CryptoKey,
// bridged to the host's WebCrypto (Node's globalThis.crypto.subtle) as host operations
// (host-ops.isolate.js). Every method crosses generically: its arguments become JSON, with each
// BufferSource copied out as bytes ({$b: index}) and each CryptoKey sent as its handle ({$k: handle});
// the host validates everything as WebCrypto does, so errors (TypeError, NotSupportedError,
// DataError, InvalidAccessError, OperationError) are the host's own, rebuilt here.
//
// A CryptoKey is an isolate-side handle: its key material stays in the host's key table for this
// isolate and only leaves through exportKey/wrapKey, which the host refuses for a non-extractable key.
import { hostOpsOf } from './host-ops.isolate.js';
// Captured when the unit is installed, before user code runs.
import { ArrayPush, PromiseCtor, U8, WeakMapGet, WeakMapSet, defineProperty, freeze, isArray, keys } from './primordials.isolate.js';

/**
 * Installed into isolates whose code names CryptoKey, SubtleCrypto or `subtle` (globals.isolate.ts),
 * before the code runs. Cheap until used: `subtle` on the sandbox's crypto object and the
 * CryptoKey/SubtleCrypto globals are accessors that build the classes on first read.
 */
export default function install(sandbox) {
  const ops = hostOpsOf(sandbox);
  let built;
  const build = () => (built ??= buildSubtle(ops));
  sandbox.defineGlobals('subtle', build);
  // The sandbox's crypto object (web-crypto.isolate.js, in every isolate) is itself made on first
  // read; read it now and give it a lazy `subtle` like the global accessors.
  const cryptoObject = globalThis.crypto;
  if (cryptoObject !== null && typeof cryptoObject === 'object') {
    Object.defineProperty(cryptoObject, 'subtle', {
      configurable: true,
      enumerable: true,
      get() {
        const value = build().subtle;
        Object.defineProperty(cryptoObject, 'subtle', { value, configurable: true, enumerable: true });
        return value;
      },
    });
  }
}

function buildSubtle(ops) {
  const codec = ops.codec;
  const INTERNAL = Symbol('internal');
  const MAX_DEPTH = 8;

  const keyState = new WeakMap();
  const state = (k) => {
    const s = WeakMapGet(keyState, k);
    if (s === undefined) throw new TypeError('Illegal invocation');
    return s;
  };

  class CryptoKey {
    constructor(token) {
      if (token !== INTERNAL) throw new TypeError('Illegal constructor');
    }
    get type() {
      return state(this).type;
    }
    get extractable() {
      return state(this).extractable;
    }
    get algorithm() {
      return state(this).algorithm;
    }
    get usages() {
      return state(this).usages;
    }
    get [Symbol.toStringTag]() {
      return 'CryptoKey';
    }
  }

  /** Arguments → JSON with bytes moved to `bins` and keys replaced by their handles. */
  function encode(v, bins, depth) {
    if (depth > MAX_DEPTH) throw new TypeError('crypto.subtle: argument nested too deeply');
    if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint' ? undefined : v;
    if (v instanceof CryptoKey) return { $k: state(v).handle };
    const bytes = codec.copyBufferSource(v);
    if (bytes !== null) {
      ArrayPush(bins, bytes);
      return { $b: bins.length - 1 };
    }
    if (isArray(v)) {
      const out = [];
      for (let i = 0; i < v.length; i++) ArrayPush(out, encode(v[i], bins, depth + 1));
      return out;
    }
    const out = {};
    const names = keys(v);
    for (let i = 0; i < names.length; i++) out[names[i]] = encode(v[names[i]], bins, depth + 1);
    // WebIDL dictionaries read inherited members too (an algorithm may be a class instance).
    for (const name of ['name', 'hash', 'namedCurve', 'length', 'saltLength', 'modulusLength', 'publicExponent', 'iv', 'salt', 'info', 'iterations', 'label', 'counter', 'tagLength', 'additionalData', 'public']) {
      if (!(name in out) && name in v) out[name] = encode(v[name], bins, depth + 1);
    }
    return out;
  }

  /** The host's answer → isolate values: {$ab} the returned bytes, {$u8} small byte arrays, {$key} a CryptoKey. */
  function decode(v, bytes) {
    if (v === null || typeof v !== 'object') return v;
    if (isArray(v)) return v.map((x) => decode(x, bytes));
    if (v.$ab === true) return bytes;
    if (isArray(v.$u8)) return new U8(v.$u8);
    if (v.$key !== undefined) {
      const k = v.$key;
      const key = new CryptoKey(INTERNAL);
      WeakMapSet(keyState, key, {
        handle: k.h,
        type: k.type,
        extractable: k.extractable,
        algorithm: freeze(decode(k.algorithm, bytes)),
        usages: freeze(k.usages),
      });
      return key;
    }
    const out = {};
    const names = keys(v);
    for (let i = 0; i < names.length; i++) out[names[i]] = decode(v[names[i]], bytes);
    return out;
  }

  class SubtleCrypto {
    constructor(token) {
      if (token !== INTERNAL) throw new TypeError('Illegal constructor');
    }
    get [Symbol.toStringTag]() {
      return 'SubtleCrypto';
    }
  }
  const METHODS = ['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey'];
  for (let i = 0; i < METHODS.length; i++) {
    const method = METHODS[i];
    const fn = {
      [method](...args) {
        if (!(this instanceof SubtleCrypto)) return PromiseCtor.reject(new TypeError('Illegal invocation'));
        const bins = [];
        let encoded;
        try {
          encoded = encode(args, bins, 0);
        } catch (err) {
          return PromiseCtor.reject(err);
        }
        return ops.start('subtle', { m: method, a: encoded }, bins).promise.then((r) => decode(r.json, r.bytes));
      },
    }[method];
    defineProperty(SubtleCrypto.prototype, method, { value: fn, writable: true, enumerable: true, configurable: true });
  }

  return { CryptoKey, SubtleCrypto, subtle: new SubtleCrypto(INTERNAL) };
}
