// Runs INSIDE a V8 isolate (isolated-vm), never in the host: the bootstrap of the CloudFront Functions
// runtime (`runtime: cloudfront-js-2.0`). Bundled by esbuild with isolate-core.isolate.js (console, log
// lines, invocation state and the envelope, shared with lambda-edge.isolate.js) and
// sandbox/primordials.isolate.js into one script (sandbox-units.ts, bootstrapCode), evaluated once per
// isolate, before any user code; its default export is the script's completion value: the entry table
// the host keeps references to, the same entries as lambda-edge.isolate.js (initCommonJs, configure,
// invoke, poll, fireTimer) plus `setKvsLookup`, so the host runs both runtimes through one path
// (runtime/invocation.ts, pipeline/hook-runner.ts).
//
// The wire is lambda-edge.isolate.js's (docs/architecture.md, "The isolate boundary"): the event's
// scalars as JSON, headers as "Name\nvalue\n…" strings; every entry returns the envelope
// STATE META "\n" PAYLOAD. Only the object the handler sees differs: CloudFront Functions' event
// ({version, context, viewer, request, response}, maps of {value, multiValue}, cookies apart) is
// built here from the wire, and the handler's result is flattened back into the same wire result
// ({t: "Q"|"S", …} then the headers), cookies folded back into Cookie / Set-Cookie headers. The
// host validates that result with CloudFront Functions' rules (pipeline/cff-result.ts).
//
// Limits of the runtime (CloudFront Developer Guide, "JavaScript runtime 2.0 features" and
// "Restrictions on CloudFront Functions"): no eval and no Function constructor (replaced below before
// user code runs), no timers, no network, and `Date` frozen at the invocation's start.
import {
  ArrayPush,
  FunctionCall,
  NumberCtor,
  ObjectCtor,
  PromiseCtor,
  StringCharCodeAt,
  StringCtor,
  StringIndexOf,
  StringSlice,
  StringSplit,
  StringToLowerCase,
  StringTrim,
  U8,
  WeakMapCtor,
  WeakMapGet,
  WeakMapSet,
  dateNow,
  defineProperty,
  getPrototypeOf,
  hasOwn,
  isArray,
  keys,
  parse,
  stringify,
} from './sandbox/primordials.isolate.js';
import {
  ShapeError,
  attachSandbox,
  beginInvocation,
  defineRuntime,
  envelope,
  formatValue,
  installConsole,
  json,
  parseMeta,
  settle,
  unpackEvent,
  settleReturned,
  titleCase,
} from './isolate-core.isolate.js';

const OriginalDate = Date;

// ---- the sandbox: no code from strings, no timers, a frozen clock ----

// "eval() and the Function constructor are not supported": each way to compile a string is replaced
// by a function that throws (the constructors stay reachable through prototypes, so those too).
function noCodeFromStrings() {
  throw new EvalError('Code generation from strings is not allowed in CloudFront Functions');
}
const functionPrototypes = [
  Function.prototype,
  getPrototypeOf(async function () {}),
  getPrototypeOf(function* () {}),
  getPrototypeOf(async function* () {}),
];
for (let i = 0; i < functionPrototypes.length; i++) {
  defineProperty(functionPrototypes[i], 'constructor', { value: noCodeFromStrings, writable: false, configurable: false });
}
defineProperty(noCodeFromStrings, 'prototype', { value: Function.prototype });
defineProperty(globalThis, 'Function', { value: noCodeFromStrings, writable: false, configurable: false });
defineProperty(globalThis, 'eval', { value: noCodeFromStrings, writable: false, configurable: false });

// `Date` is frozen for the run: Date.now() and new Date() give the invocation's start, as CloudFront
// Functions do (time does not advance while a function runs).
let frozenNow = dateNow();
class FrozenDate extends OriginalDate {
  constructor(...args) {
    if (args.length === 0) super(frozenNow);
    else super(...args);
  }
  static now() {
    return frozenNow;
  }
}
defineProperty(globalThis, 'Date', { value: FrozenDate, writable: true, configurable: true });

// console.log(a, b) writes its arguments space-separated (no format string, unlike Node's util.format).
function joinArgs(args) {
  let line = '';
  for (let i = 0; i < args.length; i++) line += (i > 0 ? ' ' : '') + formatValue(args[i], 0);
  return line;
}

defineRuntime({ formatArgs: joinArgs, encodeResult });
installConsole(false);

// ---- the event: wire → CloudFront Functions objects ----

// The multiValue arrays as built, to tell whether the function changed one (see valuesOf).
let builtMulti = new WeakMapCtor();

/** Adds one value to a {value, multiValue} map: the first value stays in `value`, all go in `multiValue`. */
// Names come from the viewer: `__proto__` or `constructor` must become own data properties, never
// reach Object.prototype (a polluted prototype would outlive the request in a warm isolate).
function addValue(map, name, v, extra) {
  const item = extra === undefined ? { value: v } : { value: v, attributes: extra };
  const existing = hasOwn(map, name) ? map[name] : undefined;
  if (existing === undefined) {
    defineProperty(map, name, { value: extra === undefined ? { value: v } : { value: v, attributes: extra }, writable: true, enumerable: true, configurable: true });
    return;
  }
  if (existing.multiValue === undefined) {
    existing.multiValue = [extra === undefined ? { value: existing.value } : { value: existing.value, attributes: existing.attributes }];
  }
  ArrayPush(existing.multiValue, item);
  WeakMapSet(builtMulti, existing, multiKey(existing.multiValue));
}

/** "a=1&b=2&a=3" → {a: {value: "1", multiValue: [{value: "1"}, {value: "3"}]}, b: {value: "2"}}; values as sent. */
function parseQuery(q) {
  const out = {};
  if (q === '' || q === undefined) return out;
  const pairs = StringSplit(q, '&');
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i];
    if (pair === '') continue;
    const eq = StringIndexOf(pair, '=');
    addValue(out, eq === -1 ? pair : StringSlice(pair, 0, eq), eq === -1 ? '' : StringSlice(pair, eq + 1));
  }
  return out;
}

/** "a=1; b=2" → {a: {value: "1"}, b: {value: "2"}}. */
function parseCookieHeader(map, header) {
  const parts = StringSplit(header, ';');
  for (let i = 0; i < parts.length; i++) {
    const part = StringTrim(parts[i]);
    if (part === '') continue;
    const eq = StringIndexOf(part, '=');
    addValue(map, eq === -1 ? part : StringSlice(part, 0, eq), eq === -1 ? '' : StringSlice(part, eq + 1));
  }
}

/** "id=a3f; Secure; Path=/" → cookies.id = {value: "a3f", attributes: "Secure; Path=/"}, as CloudFront shows Set-Cookie. */
function parseSetCookie(map, header) {
  const semi = StringIndexOf(header, ';');
  const pair = semi === -1 ? header : StringSlice(header, 0, semi);
  const attributes = semi === -1 ? '' : StringTrim(StringSlice(header, semi + 1));
  const eq = StringIndexOf(pair, '=');
  addValue(map, StringTrim(eq === -1 ? pair : StringSlice(pair, 0, eq)), eq === -1 ? '' : StringTrim(StringSlice(pair, eq + 1)), attributes);
}

/** Wire headers → {lowercase: {value, multiValue?}}, with Cookie (or Set-Cookie) moved to `cookies`. */
function cffHeaders(flat, cookieName, cookies) {
  const headers = {};
  if (flat === '') return headers;
  const parts = StringSplit(flat, '\n');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const lower = StringToLowerCase(parts[i]);
    const v = parts[i + 1];
    if (lower === cookieName) {
      if (cookieName === 'cookie') parseCookieHeader(cookies, v);
      else parseSetCookie(cookies, v);
    } else {
      addValue(headers, lower, v);
    }
  }
  return headers;
}

let originalQuery = '';
let originalQueryKey = '';
let originChange;

function buildEvent(m, requestHeaders, responseHeaders) {
  const requestCookies = {};
  const request = {};
  // `method` is read-only (CloudFront Functions event structure, "Request object").
  defineProperty(request, 'method', { value: m.m, enumerable: true, writable: false, configurable: false });
  request.uri = m.u;
  request.querystring = parseQuery(m.q);
  request.headers = cffHeaders(requestHeaders, 'cookie', requestCookies);
  request.cookies = requestCookies;
  originalQuery = m.q;
  originalQueryKey = serializeQuery(request.querystring, 'request.querystring');
  const event = {
    version: '1.0',
    context: { distributionDomainName: m.dn, distributionId: m.di, eventType: m.e, requestId: m.r },
    viewer: { ip: m.ip },
    request,
  };
  if (m.s !== undefined) {
    const responseCookies = {};
    event.response = {
      statusCode: NumberCtor(m.s),
      statusDescription: m.sd,
      headers: cffHeaders(responseHeaders, 'set-cookie', responseCookies),
      cookies: responseCookies,
    };
  }
  return event;
}

// ---- the result: CloudFront Functions objects → wire ----

function multiKey(items) {
  let key = '';
  for (let i = 0; i < items.length; i++) key += items[i].value + '\n' + (items[i].attributes === undefined ? '' : items[i].attributes) + '\n';
  return key;
}

/**
 * The values of one {value, multiValue} entry (`multivalue` accepted too). CloudFront's rule
 * ("Duplicate query strings, headers, and cookies"): a modified `multiValue` array is applied as
 * is; otherwise a modified `value` replaces the first value and the others stay.
 */
function valuesOf(entry, path) {
  if (entry === null || typeof entry !== 'object') throw new ShapeError(path + ' must be an object {value} or {multiValue: [{value}…]}');
  const multi = entry.multiValue !== undefined ? entry.multiValue : entry.multivalue;
  if (multi !== undefined && multi !== null) {
    if (!isArray(multi)) throw new ShapeError(path + '.multiValue must be an array of {value}');
    const out = [];
    for (let i = 0; i < multi.length; i++) {
      const item = multi[i];
      if (item === null || typeof item !== 'object' || typeof item.value !== 'string') throw new ShapeError(path + '.multiValue[' + i + '].value must be a string');
      ArrayPush(out, item);
    }
    if (out.length > 0) {
      const built = WeakMapGet(builtMulti, entry);
      if (built !== undefined && built === multiKey(out) && typeof entry.value === 'string' && entry.value !== out[0].value) {
        out[0] = entry.attributes === undefined ? { value: entry.value } : { value: entry.value, attributes: entry.attributes };
      }
      return out;
    }
  }
  if (typeof entry.value !== 'string') throw new ShapeError(path + '.value must be a string');
  return [entry];
}

function checkWireText(v, path) {
  if (StringIndexOf(v, '\n') !== -1 || StringIndexOf(v, '\r') !== -1) throw new ShapeError(path + ' has characters not allowed in a header');
}

function mapOf(v, path) {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || isArray(v)) throw new ShapeError(path + ' must be an object');
  return v;
}

function flatHeaders(headers, path) {
  const map = mapOf(headers, path);
  let out = '';
  const names = keys(map);
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    const vals = valuesOf(map[name], path + '["' + name + '"]');
    // "header names must be lowercase when they're added by your function code".
    if (StringToLowerCase(name) !== name) throw new ShapeError(path + '["' + name + '"]: header names must be lowercase');
    checkWireText(name, path + '["' + name + '"]');
    const sent = titleCase(name); // CloudFront Functions write names back Title-Cased
    for (let i = 0; i < vals.length; i++) {
      checkWireText(vals[i].value, path + '["' + name + '"]');
      out += (out === '' ? '' : '\n') + sent + '\n' + vals[i].value;
    }
  }
  return out;
}

function serializeQuery(query, path) {
  const map = mapOf(query, path);
  let out = '';
  const names = keys(map);
  for (let n = 0; n < names.length; n++) {
    const vals = valuesOf(map[names[n]], path + '["' + names[n] + '"]');
    for (let i = 0; i < vals.length; i++) out += (out === '' ? '' : '&') + names[n] + (vals[i].value === '' ? '' : '=' + vals[i].value);
  }
  return out;
}

function cookieHeader(cookies) {
  const map = mapOf(cookies, 'request.cookies');
  let out = '';
  const names = keys(map);
  for (let n = 0; n < names.length; n++) {
    const vals = valuesOf(map[names[n]], 'request.cookies["' + names[n] + '"]');
    for (let i = 0; i < vals.length; i++) out += (out === '' ? '' : '; ') + names[n] + '=' + vals[i].value;
  }
  checkWireText(out, 'request.cookies');
  return out;
}

function setCookieHeaders(cookies) {
  const map = mapOf(cookies, 'response.cookies');
  let out = '';
  const names = keys(map);
  for (let n = 0; n < names.length; n++) {
    const path = 'response.cookies["' + names[n] + '"]';
    const vals = valuesOf(map[names[n]], path);
    for (let i = 0; i < vals.length; i++) {
      const attributes = vals[i].attributes;
      if (attributes !== undefined && typeof attributes !== 'string') throw new ShapeError(path + '.attributes must be a string');
      const line = names[n] + '=' + vals[i].value + (attributes ? '; ' + attributes : '');
      checkWireText(line, path);
      out += (out === '' ? '' : '\n') + 'Set-Cookie\n' + line;
    }
  }
  return out;
}

function join(a, b) {
  return a === '' ? b : b === '' ? a : a + '\n' + b;
}

function encodeResult(v) {
  if (v === null || typeof v !== 'object' || isArray(v)) throw new ShapeError('expected a request or response object');
  if ('statusCode' in v) {
    let body = v.body;
    let bodyEncoding;
    // "body": a string, or {data, encoding: "text" | "base64"}.
    if (body !== undefined && body !== null && typeof body === 'object') {
      bodyEncoding = body.encoding === undefined ? 'text' : body.encoding;
      body = body.data;
    }
    const scalars = { t: 'S', status: v.statusCode, statusDescription: v.statusDescription, body, bodyEncoding };
    return json(scalars, 0) + '\n' + join(flatHeaders(v.headers, 'response.headers'), setCookieHeaders(v.cookies));
  }
  let querystring = v.querystring;
  if (querystring !== null && typeof querystring === 'object') {
    const serialized = serializeQuery(querystring, 'request.querystring');
    // An untouched query string goes on exactly as the viewer sent it.
    querystring = serialized === originalQueryKey ? originalQuery : serialized;
  }
  const scalars = { t: 'Q', uri: v.uri, querystring, method: v.method, co: originChange };
  const cookies = cookieHeader(v.cookies);
  // The wire's own JSON writer (isolate-core.isolate.js): a polluted toJSON cannot rewrite the result.
  return json(scalars, 0) + '\n' + join(flatHeaders(v.headers, 'request.headers'), cookies === '' ? '' : 'Cookie\n' + cookies);
}

// ---- modules: `cloudfront`, and the table the sandbox modules join ----

let kvsLookup = null;
let storeId = null;

function utf8Bytes(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    let c = StringCharCodeAt(s, i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = StringCharCodeAt(s, i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) ArrayPush(out, c);
    else if (c < 0x800) ArrayPush(out, 0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) ArrayPush(out, 0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else ArrayPush(out, 0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new U8(out);
}

// "Helper methods for key value stores": get (rejects when the key is missing), exists, meta. The
// data lives in the host; each call crosses once, synchronously, with strings only.
function makeKvsHandle(id) {
  if (storeId === null || kvsLookup === null) throw new Error('No key value store is associated with this function (set keyValueStore in its configuration)');
  if (id !== undefined && StringCtor(id) !== storeId) throw new Error('Key value store ' + StringCtor(id) + ' is not associated with this function (it reads ' + storeId + ')');
  const lookup = kvsLookup;
  return ObjectCtor.freeze({
    get(key, options) {
      try {
        const k = StringCtor(key);
        const format = options !== undefined && options !== null && options.format !== undefined ? options.format : 'string';
        if (format !== 'string' && format !== 'json' && format !== 'bytes') throw new TypeError('format must be "string", "json" or "bytes"');
        const v = lookup(1, k);
        if (typeof v !== 'string') throw new Error('Key ' + k + ' not found');
        if (format === 'json') return PromiseCtor.resolve(parse(v));
        if (format === 'bytes') return PromiseCtor.resolve(toBuffer(utf8Bytes(v)));
        return PromiseCtor.resolve(v);
      } catch (err) {
        return PromiseCtor.reject(err);
      }
    },
    exists(key) {
      try {
        return PromiseCtor.resolve(typeof lookup(1, StringCtor(key)) === 'string');
      } catch (err) {
        return PromiseCtor.reject(err);
      }
    },
    meta() {
      try {
        return PromiseCtor.resolve(parse(lookup(2, '')));
      } catch (err) {
        return PromiseCtor.reject(err);
      }
    },
  });
}

// `bytes` gives a Buffer, as CloudFront does, when the sandbox's buffer module is installed.
function toBuffer(bytes) {
  let buffer;
  try {
    buffer = sandboxRequire('buffer');
  } catch {
    return bytes;
  }
  return buffer.Buffer.from(bytes.buffer);
}

// "Helper methods for origin modification": both only record what to change; the host validates
// the change with the result and applies it to this request (pipeline/cff-origin.ts).
function updateRequestOrigin(params) {
  if (params === null || typeof params !== 'object' || isArray(params)) throw new TypeError('updateRequestOrigin expects an object');
  originChange = { update: parse(stringify(params)) };
}
function selectRequestOriginById(originId) {
  if (typeof originId !== 'string') throw new TypeError('selectRequestOriginById expects an origin id string');
  originChange = { select: originId };
}

const cloudfront = ObjectCtor.freeze({
  kvs: (id) => makeKvsHandle(id),
  updateRequestOrigin,
  selectRequestOriginById,
});

// The module table: `cloudfront` is this runtime's own; `crypto`, `querystring` and `buffer` are the
// shared sandbox modules (sandbox/registry.isolate.js), reached through the sandbox's `require`.
let sandboxRequire = (name) => {
  throw new Error("Cannot find module '" + StringCtor(name) + "': it is not available in CloudFront Functions");
};

function requireModule(name) {
  const key = StringCtor(name);
  const bare = StringIndexOf(key, 'node:') === 0 ? StringSlice(key, 5) : key;
  if (bare === 'cloudfront') return cloudfront;
  return sandboxRequire(key);
}

let handler = null;

export default {
  /** Links the sandbox installed beside this bootstrap (its `require`, and where its units report errors). */
  attachSandbox(sandbox) {
    sandboxRequire = attachSandbox(sandbox);
  },

  /** The host's key value store lookup (op 1: key → value or undefined; op 2: meta JSON) and the store's id. */
  setKvsLookup(id, lookup) {
    storeId = id;
    kvsLookup = (op, key) => lookup(op, key);
  },

  /** Runs the wrapped user script: fn(exports, require, module, __filename, __dirname) returns `handler`. */
  initCommonJs(moduleFunction, filename) {
    // The top level runs with the clock frozen at load (the blank isolate may be older).
    frozenNow = dateNow();
    const module = { exports: {} };
    const found = FunctionCall(moduleFunction, module.exports, module.exports, requireModule, module, filename, '/');
    if (typeof found === 'function') handler = found;
    else if (module.exports !== null && typeof module.exports.handler === 'function') handler = module.exports.handler;
    if (handler === null) throw new TypeError('The function does not define a handler: function handler(event) { … }');
    return envelope();
  },

  configure() {},

  invoke(packed) {
    const seq = beginInvocation();
    originChange = undefined;
    builtMulti = new WeakMapCtor();
    frozenNow = dateNow();
    if (handler === null) {
      settle(seq, 'E', { name: 'Error', message: 'No handler' });
      return envelope();
    }
    let returned;
    try {
      // Indexed, not destructured (user code can replace Array.prototype[Symbol.iterator]).
      const parts = unpackEvent(packed);
      const event = buildEvent(parseMeta(parts[0]), parts[1], parts[2]);
      returned = handler(event);
    } catch (err) {
      settle(seq, 'E', err);
      return envelope();
    }
    // Whatever it returns is the result, `undefined` included (a V error: no request or response).
    settleReturned(seq, returned, false);
    return envelope();
  },

  poll: envelope,

  /** CloudFront Functions have no timers; nothing ever asks for this. */
  fireTimer() {
    return envelope();
  },
};
