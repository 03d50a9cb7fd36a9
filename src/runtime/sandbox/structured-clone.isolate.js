// Runs INSIDE the isolate. structuredClone (HTML Living Standard, "Structured cloning" §2.7): the
// serialisable types user code meets (primitives, plain objects, arrays, Date, RegExp, Map, Set, Error,
// ArrayBuffer and its views, boxed primitives), cycles and shared references kept. Functions, symbols
// and other platform objects throw a DataCloneError, as the spec requires. `transfer` is not supported.

function dataCloneError(what) {
  const err = new Error(what + ' could not be cloned.');
  err.name = 'DataCloneError';
  return err;
}

const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];
const ERRORS = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

export function structuredClone(value, options) {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  if (options !== undefined && options !== null && options.transfer !== undefined && options.transfer.length > 0) {
    throw dataCloneError('Transferring objects is not supported in the Verge sandbox; the value');
  }
  const seen = new Map();
  const clone = (v) => {
    if (typeof v === 'function') throw dataCloneError(String(v.name ? 'function ' + v.name : 'A function'));
    if (typeof v === 'symbol') throw dataCloneError(String(v));
    if (v === null || typeof v !== 'object') return v;
    const known = seen.get(v);
    if (known !== undefined) return known;
    let out;
    const tag = Object.prototype.toString.call(v);
    if (Array.isArray(v)) {
      out = new Array(v.length);
      seen.set(v, out);
      for (const k of Object.keys(v)) out[k] = clone(v[k]);
      return out;
    }
    switch (tag) {
      case '[object Date]':
        out = new Date(v.getTime());
        break;
      case '[object RegExp]':
        out = new RegExp(v.source, v.flags);
        break;
      case '[object Boolean]':
        out = Object(Boolean.prototype.valueOf.call(v));
        break;
      case '[object Number]':
        out = Object(Number.prototype.valueOf.call(v));
        break;
      case '[object String]':
        out = Object(String.prototype.valueOf.call(v));
        break;
      case '[object BigInt]':
        out = Object(BigInt.prototype.valueOf.call(v));
        break;
      case '[object ArrayBuffer]':
        out = v.slice(0);
        break;
      case '[object DataView]':
        out = new DataView(clone(v.buffer), v.byteOffset, v.byteLength);
        break;
      case '[object Map]':
        out = new Map();
        seen.set(v, out);
        for (const [k, val] of v) out.set(clone(k), clone(val));
        return out;
      case '[object Set]':
        out = new Set();
        seen.set(v, out);
        for (const k of v) out.add(clone(k));
        return out;
      case '[object Error]': {
        const Ctor = Object.hasOwn(ERRORS, v.name) ? ERRORS[v.name] : Error;
        out = new Ctor(v.message);
        seen.set(v, out);
        if (typeof v.stack === 'string') out.stack = v.stack;
        if ('cause' in v) out.cause = clone(v.cause);
        return out;
      }
      default: {
        const typed = ArrayBuffer.isView(v) ? TYPED.find((T) => v instanceof T) : undefined;
        if (typed !== undefined) {
          out = new typed(clone(v.buffer), v.byteOffset, v.length);
          break;
        }
        if (tag !== '[object Object]' || (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null)) {
          // Class instances clone as plain objects (their own enumerable data), as in browsers; other
          // platform objects (Promise, WeakMap, …) cannot be cloned.
          if (tag !== '[object Object]') throw dataCloneError(tag.slice(8, -1) + ' object');
        }
        out = {};
        seen.set(v, out);
        for (const k of Object.keys(v)) out[k] = clone(v[k]);
        return out;
      }
    }
    seen.set(v, out);
    return out;
  };
  return clone(value);
}

export default function install(sandbox) {
  sandbox.defineGlobals('structured-clone', () => ({ structuredClone }));
}
