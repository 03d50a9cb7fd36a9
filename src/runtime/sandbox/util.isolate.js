// Runs INSIDE the isolate. The parts of Node's `util` module edge code uses: format, inspect,
// promisify (with util.promisify.custom), callbackify, inherits, deprecate, isDeepStrictEqual,
// types.is*, TextEncoder/TextDecoder. Output follows Node's (https://nodejs.org/api/util.html) for the
// common cases; inspect has no colours, and prints class instances as `Name { … }`.

const customPromisify = Symbol.for('nodejs.util.promisify.custom');
const customInspect = Symbol.for('nodejs.util.inspect.custom');
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function quote(s) {
  return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n') + "'";
}

function inspect(value, opts) {
  const options = typeof opts === 'object' && opts !== null ? opts : {};
  const depthLimit = options.depth === undefined ? 2 : options.depth === null ? Infinity : options.depth;
  const seen = [];
  const fmt = (v, depth) => {
    switch (typeof v) {
      case 'string':
        return quote(v);
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint':
        return String(v) + 'n';
      case 'symbol':
        return String(v);
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return String(v);
      case 'function': {
        const base = (/^class\s/.test(Function.prototype.toString.call(v)) ? '[class ' : '[Function: ') + (v.name || '(anonymous)') + ']';
        return v.name ? base : base.replace(': (anonymous)', ' (anonymous)');
      }
    }
    if (v === null) return 'null';
    if (typeof v[customInspect] === 'function' && v[customInspect] !== inspect) {
      const r = v[customInspect](depthLimit - depth, options, inspect);
      return typeof r === 'string' ? r : fmt(r, depth);
    }
    if (seen.includes(v)) return '[Circular]';
    if (v instanceof Error) return v.stack || String(v);
    if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (v instanceof Promise) return 'Promise { <unknown> }';
    const ctor = Object.getPrototypeOf(v) === null ? '[Object: null prototype]' : v.constructor && v.constructor.name;
    if (depth > depthLimit) return Array.isArray(v) ? '[Array]' : '[' + (ctor || 'Object') + ']';
    seen.push(v);
    try {
      let items;
      let open = '{';
      let close = '}';
      let prefix = '';
      if (Array.isArray(v)) {
        items = v.map((x) => fmt(x, depth + 1));
        for (const k of Object.keys(v)) if (!/^\d+$/.test(k)) items.push(k + ': ' + fmt(v[k], depth + 1));
        open = '[';
        close = ']';
      } else if (v instanceof Map) {
        items = [...v].map(([k, x]) => fmt(k, depth + 1) + ' => ' + fmt(x, depth + 1));
        prefix = 'Map(' + v.size + ') ';
      } else if (v instanceof Set) {
        items = [...v].map((x) => fmt(x, depth + 1));
        prefix = 'Set(' + v.size + ') ';
      } else if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
        const shown = Array.prototype.slice.call(v, 0, 100).map((x) => (typeof x === 'bigint' ? x + 'n' : String(x)));
        if (v.length > 100) shown.push('... ' + (v.length - 100) + ' more items');
        if (ctor === 'Buffer') return '<Buffer ' + Array.prototype.slice.call(v, 0, 50).map((b) => (b < 16 ? '0' : '') + b.toString(16)).join(' ') + (v.length > 50 ? ' ... ' + (v.length - 50) + ' more bytes' : '') + '>';
        items = shown;
        prefix = ctor + '(' + v.length + ') ';
        open = '[';
        close = ']';
      } else {
        items = Object.keys(v).map((k) => (IDENTIFIER.test(k) ? k : quote(k)) + ': ' + fmt(v[k], depth + 1));
        for (const s of Object.getOwnPropertySymbols(v)) if (Object.prototype.propertyIsEnumerable.call(v, s)) items.push('[' + String(s) + ']: ' + fmt(v[s], depth + 1));
        if (ctor !== 'Object') prefix = (ctor || 'Object') + ' ';
      }
      if (items.length === 0) return prefix + open + close;
      const oneLine = open + ' ' + items.join(', ') + ' ' + close;
      if (oneLine.length + prefix.length <= 72) return prefix + oneLine;
      const pad = '  '.repeat(depth + 1);
      return prefix + open + '\n' + pad + items.join(',\n' + pad) + '\n' + '  '.repeat(depth) + close;
    } finally {
      seen.pop();
    }
  };
  return fmt(value, 0);
}
inspect.custom = customInspect;

function format(...args) {
  return formatWithOptions({}, ...args);
}

function formatWithOptions(inspectOptions, ...args) {
  const first = args[0];
  let out = '';
  let a = 1;
  if (typeof first === 'string') {
    if (args.length === 1) return first;
    for (let i = 0; i < first.length; i++) {
      const ch = first[i];
      if (ch !== '%' || i + 1 === first.length) {
        out += ch;
        continue;
      }
      const spec = first[++i];
      if (spec === '%') {
        out += '%';
        continue;
      }
      if (!'sdifjoOc'.includes(spec)) {
        out += '%' + spec;
        continue;
      }
      if (a >= args.length) {
        out += '%' + spec;
        continue;
      }
      const v = args[a++];
      switch (spec) {
        case 's':
          if (typeof v === 'bigint') out += v + 'n';
          else if (typeof v === 'symbol') out += String(v);
          else if (v !== null && typeof v === 'object' && (v.toString === Object.prototype.toString || v.toString === Array.prototype.toString) && !(v instanceof Error)) out += inspect(v, { ...inspectOptions, depth: 0 });
          else out += Object.is(v, -0) ? '-0' : String(v);
          break;
        case 'd':
          out += typeof v === 'bigint' ? v + 'n' : typeof v === 'symbol' ? 'NaN' : String(Number(v));
          break;
        case 'i':
          out += typeof v === 'bigint' ? v + 'n' : typeof v === 'symbol' ? 'NaN' : String(parseInt(v, 10));
          break;
        case 'f':
          out += typeof v === 'symbol' ? 'NaN' : String(parseFloat(v));
          break;
        case 'j':
          try {
            out += JSON.stringify(v);
          } catch {
            out += '[Circular]';
          }
          break;
        case 'o':
        case 'O':
          out += inspect(v, inspectOptions);
          break;
        case 'c':
          break;
      }
    }
  } else {
    a = 0;
  }
  for (; a < args.length; a++) {
    const v = args[a];
    out += (out.length > 0 || a > 0 ? ' ' : '') + (typeof v === 'string' ? v : inspect(v, inspectOptions));
  }
  return out;
}

function promisify(original) {
  if (typeof original !== 'function') {
    throw Object.assign(new TypeError('The "original" argument must be of type function'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (typeof original[customPromisify] === 'function') return original[customPromisify];
  function promisified(...args) {
    return new Promise((resolve, reject) => {
      Reflect.apply(original, this, [...args, (err, value) => (err ? reject(err) : resolve(value))]);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(original));
  Object.defineProperty(promisified, customPromisify, { value: promisified });
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(original));
}
promisify.custom = customPromisify;

function callbackify(original) {
  return function (...args) {
    const callback = args.pop();
    Reflect.apply(original, this, args).then(
      (v) => Promise.resolve().then(() => callback(null, v)),
      (err) => Promise.resolve().then(() => callback(err || Object.assign(new Error('Promise was rejected with a falsy value'), { reason: err }))),
    );
  };
}

function inherits(ctor, superCtor) {
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

function deprecate(fn, message) {
  let warned = false;
  return function (...args) {
    if (!warned) {
      warned = true;
      console.warn('DeprecationWarning: ' + message);
    }
    return new.target ? Reflect.construct(fn, args, new.target) : Reflect.apply(fn, this, args);
  };
}

function isDeepStrictEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (a instanceof Date) return a.getTime() === b.getTime();
  if (a instanceof Map || a instanceof Set) return a.size === b.size && isDeepStrictEqual([...a], [...b]);
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && isDeepStrictEqual(a[k], b[k]));
}

const tag = (v) => Object.prototype.toString.call(v).slice(8, -1);
const types = {
  isDate: (v) => tag(v) === 'Date',
  isRegExp: (v) => tag(v) === 'RegExp',
  isMap: (v) => tag(v) === 'Map',
  isSet: (v) => tag(v) === 'Set',
  isPromise: (v) => tag(v) === 'Promise',
  isNativeError: (v) => tag(v) === 'Error',
  isAsyncFunction: (v) => tag(v) === 'AsyncFunction',
  isGeneratorFunction: (v) => tag(v) === 'GeneratorFunction' || tag(v) === 'AsyncGeneratorFunction',
  isArrayBuffer: (v) => tag(v) === 'ArrayBuffer',
  isTypedArray: (v) => ArrayBuffer.isView(v) && !(v instanceof DataView),
  isUint8Array: (v) => tag(v) === 'Uint8Array',
};

export default function install(sandbox) {
  sandbox.defineModule('util', () => ({
    format,
    formatWithOptions,
    inspect,
    promisify,
    callbackify,
    inherits,
    deprecate,
    isDeepStrictEqual,
    isArray: Array.isArray,
    types,
    // The classes of the sandbox's globals (encoding.isolate.js), as Node's util re-exports its own.
    TextEncoder: globalThis.TextEncoder,
    TextDecoder: globalThis.TextDecoder,
  }));
}
