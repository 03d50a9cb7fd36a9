// Runs INSIDE a V8 isolate (isolated-vm), never in the host: the machinery both runtime bootstraps
// share (lambda-edge.isolate.js for Lambda@Edge, cloudfront-functions.isolate.js for CloudFront
// Functions). esbuild bundles it into each bootstrap's script (sandbox-units.ts, bootstrapCode), so
// every isolate has its own copy, evaluated with the bootstrap before any user code. What it keeps:
// the console and its buffered log lines, the state of the current invocation (one at a time per
// isolate, as in a Lambda execution environment), the link to the sandbox, and the envelope every
// entry of a bootstrap returns:
//
//   STATE META "\n" PAYLOAD
//
// STATE: R (result), E (the handler failed), V (the result has the wrong shape), P (pending). META: ""
// or JSON {l: [[level, line]…], o: [[opId, kind, args, bins]…], a: [opId…]} plus what the runtime adds
// (Lambda@Edge: t and c, its timer requests; see lambda-edge.isolate.js, which documents the whole
// wire). PAYLOAD for R: the runtime's encoding of the result; for E: JSON {name, message, stack}; for
// V: a message. Console lines and host operations are buffered and handed back with the envelope
// instead of calling the host, so a call that is cut short leaves no trace outside the isolate.
import {
  ArrayPush,
  NumberCtor,
  PromiseCtor,
  PromiseThen,
  StringCtor,
  StringIndexOf,
  StringSlice,
  StringSplit,
  StringToUpperCase,
  defineProperty,
  hasOwn,
  isArray,
  keys,
  parse,
  stringify,
} from './sandbox/primordials.isolate.js';

const MAX_LOG_LINES = 200;
const MAX_LOG_LINE_CHARS = 8192;

let logs = [];
let droppedLogs = 0;
// Invocation state: one invocation at a time per isolate.
let state = 'P';
let value = null;
let invocationSeq = 0;
// The sandbox object (sandbox/registry.isolate.js), set by attachSandbox. Its `hostOps` is the queue
// of host operations (fetch, crypto.subtle: sandbox/host-ops.isolate.js), made by the units using it.
let sandboxRef = null;

// What differs per runtime, set once by its bootstrap (defineRuntime) before any user code runs.
let formatLine = null;
let encodeRuntimeResult = null;
let runtimeMeta = null;

/**
 * The runtime's parts: `formatArgs(args)` makes a console call's line, `encodeResult(v)` turns the
 * handler's result into the R payload (throwing ShapeError for a wrong shape), and `extraMeta()`
 * returns "" or more META members, each with its leading comma (e.g. `,"t":[…]`).
 */
export function defineRuntime(parts) {
  formatLine = parts.formatArgs;
  encodeRuntimeResult = parts.encodeResult;
  runtimeMeta = parts.extraMeta === undefined ? () => '' : parts.extraMeta;
}

export class ShapeError extends Error {}

/** One console argument as text; objects as JSON at the top level (`depth` 0), as String() below. */
export function formatValue(v, depth) {
  if (typeof v === 'string') return v;
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : ' (anonymous)') + ']';
  if (typeof v === 'bigint') return StringCtor(v) + 'n';
  if (typeof v === 'symbol') return StringCtor(v);
  if (v instanceof Error) return v.stack || v.name + ': ' + v.message;
  if (v !== null && typeof v === 'object' && depth === 0) {
    try {
      return stringify(v);
    } catch {
      return '[Object]';
    }
  }
  return StringCtor(v);
}

export function log(level, args) {
  if (logs.length >= MAX_LOG_LINES) {
    droppedLogs++;
    return;
  }
  let line;
  try {
    line = formatLine(args);
  } catch {
    line = '[unprintable log arguments]';
  }
  if (line.length > MAX_LOG_LINE_CHARS) line = StringSlice(line, 0, MAX_LOG_LINE_CHARS) + '… [truncated]';
  ArrayPush(logs, [level, line]);
}

/** Defines the global `console`, its methods writing to the buffered log lines; `trace` only where the runtime has it. */
export function installConsole(withTrace) {
  const consoleObject = {
    log: (...a) => log('info', a),
    info: (...a) => log('info', a),
    warn: (...a) => log('warn', a),
    error: (...a) => log('error', a),
    debug: (...a) => log('debug', a),
  };
  if (withTrace) consoleObject.trace = (...a) => log('debug', a);
  defineProperty(globalThis, 'console', { value: consoleObject, writable: true, configurable: true });
}

/** Links the sandbox installed beside the bootstrap and returns its `require`; its units report errors to the log. */
export function attachSandbox(sandbox) {
  sandboxRef = sandbox;
  sandbox.reportError = (err) => log('error', ['Uncaught', err]);
  return sandbox.userRequire;
}

/**
 * The sandbox's own host-operation queue, or undefined. Read as an own property (hasOwn is captured
 * before user code runs): an inherited `hostOps` would come from Object.prototype, which user code
 * can set, and a forged queue could make the host run operations the function was never given.
 */
function ownHostOps() {
  if (sandboxRef === null || !hasOwn(sandboxRef, 'hostOps')) return undefined;
  return sandboxRef.hostOps;
}

/** Starts a new invocation and returns its number; callbacks of earlier ones no longer settle anything. */
export function beginInvocation() {
  // Lines logged after the previous invocation's final envelope (its microtasks ran after the
  // envelope was built) belong to no invocation the host still reports: drop them rather than show
  // them under this one. Lines of the top-level code (before the first invocation) stay, as Lambda
  // shows its init phase's output.
  if (invocationSeq > 0) {
    logs = [];
    droppedLogs = 0;
  }
  invocationSeq++;
  state = 'P';
  value = null;
  const hostOps = ownHostOps();
  if (hostOps !== undefined) hostOps.reset();
  return invocationSeq;
}

export function currentInvocation() {
  return invocationSeq;
}

/** The current invocation's state: 'P' while pending, else how it ended (R, E or V). */
export function invocationState() {
  return state;
}

function errorInfo(err) {
  try {
    if (err !== null && typeof err === 'object') {
      return { name: StringCtor(err.name || 'Error'), message: StringCtor(err.message), stack: err.stack ? StringCtor(err.stack) : undefined };
    }
    return { name: 'Error', message: StringCtor(err) };
  } catch {
    return { name: 'Error', message: '[unprintable error]' };
  }
}

/** Ends invocation `seq` with a result (s "R") or an error (s "E"), unless it ended already. */
export function settle(seq, s, v) {
  if (seq !== invocationSeq || state !== 'P') return; // late callbacks of an earlier or settled invocation
  if (s === 'E') {
    state = 'E';
    value = json(errorInfo(v), 0);
    return;
  }
  try {
    value = encodeRuntimeResult(v);
    state = 'R';
  } catch (err) {
    state = 'V';
    value = err instanceof ShapeError ? err.message : 'The function result cannot be serialised: ' + errorInfo(err).message;
  }
}

/**
 * What the handler returned: a thenable settles the invocation when it does; another value settles it
 * now, except `undefined` where the runtime lets a callback settle it later (`undefinedPending`).
 * Returns the promise the settling waits on (undefined for a value): reactions added to it later run
 * after the invocation settled.
 */
export function settleReturned(seq, returned, undefinedPending) {
  if (returned !== null && (typeof returned === 'object' || typeof returned === 'function') && typeof returned.then === 'function') {
    const promise = PromiseCtor.resolve(returned);
    PromiseThen(promise, (res) => settle(seq, 'R', res), (err) => settle(seq, 'E', err));
    return promise;
  }
  if (returned !== undefined || !undefinedPending) settle(seq, 'R', returned);
  return undefined;
}

export function envelope() {
  if (droppedLogs > 0) {
    ArrayPush(logs, ['warn', droppedLogs + ' log lines dropped (more than ' + MAX_LOG_LINES + ' in one invocation)']);
    droppedLogs = 0;
  }
  let meta = '';
  const hostOps = ownHostOps();
  const ops = hostOps === undefined ? null : hostOps.take();
  const extra = runtimeMeta();
  if (logs.length > 0 || extra !== '' || ops !== null) {
    meta = '{"l":' + json(logs, 0) + extra;
    // Host operations: their args are plain data the units copied out of user values when queuing.
    if (ops !== null) meta += ',"o":' + json(ops[0], 0) + ',"a":' + json(ops[1], 0);
    meta += '}';
    logs = [];
  }
  return state === 'P' ? 'P' + meta : state + meta + '\n' + value;
}

/** The host finished operation `id` (a fetch, a crypto.subtle call): `data` and `bytes` are copies. */
export function settleOp(id, ok, data, bytes) {
  const hostOps = ownHostOps();
  if (hostOps !== undefined) hostOps.settle(id, ok, data, bytes);
  return envelope();
}

/**
 * JSON for the wire, written here rather than by JSON.stringify on objects: JSON.stringify consults
 * `toJSON` on every object (ECMA-262 SerializeJSONProperty), so user code that sets
 * Object.prototype.toJSON or Array.prototype.toJSON could otherwise rewrite the envelope (forge log
 * lines or timer requests) of this and every later invocation. Only primitives go to JSON.stringify,
 * which never looks up toJSON for them. Own enumerable properties only; undefined and functions are
 * left out as JSON does.
 */
const MAX_JSON_DEPTH = 32;
export function json(v, depth) {
  if (v === null || typeof v !== 'object') {
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
    return stringify(v); // a BigInt throws a TypeError, as JSON.stringify does
  }
  if (depth > MAX_JSON_DEPTH) throw new ShapeError('the result is nested more than ' + MAX_JSON_DEPTH + ' levels deep (or is circular)');
  let out;
  if (isArray(v)) {
    out = '[';
    for (let i = 0; i < v.length; i++) {
      const e = json(v[i], depth + 1);
      out += (i === 0 ? '' : ',') + (e === undefined ? 'null' : e);
    }
    return out + ']';
  }
  out = '{';
  const names = keys(v);
  let first = true;
  for (let i = 0; i < names.length; i++) {
    const e = json(v[names[i]], depth + 1);
    if (e === undefined) continue;
    out += (first ? '' : ',') + stringify(names[i]) + ':' + e;
    first = false;
  }
  return out + '}';
}

/** A lowercase header name as both runtimes write it back: each word capitalised (example-name → Example-Name). */
export function titleCase(name) {
  let out = '';
  let upper = true;
  for (let i = 0; i < name.length; i++) {
    const ch = name[i];
    out += upper ? StringToUpperCase(ch) : ch;
    upper = ch === '-';
  }
  return out;
}

// ---- the event's scalars (pipeline/cf-wire.ts encodeEvent) ----

/**
 * An entry's event argument (isolate-instance.ts packEvent): "LENGTH:" meta, "LENGTH:" request
 * headers, then the response headers. Returns [meta, requestHeaders, responseHeaders].
 */
export function unpackEvent(packed) {
  const c1 = StringIndexOf(packed, ':');
  const metaEnd = c1 + 1 + NumberCtor(StringSlice(packed, 0, c1));
  const c2 = StringIndexOf(packed, ':', metaEnd);
  const requestEnd = c2 + 1 + NumberCtor(StringSlice(packed, metaEnd, c2));
  return [StringSlice(packed, c1 + 1, metaEnd), StringSlice(packed, c2 + 1, requestEnd), StringSlice(packed, requestEnd)];
}

/**
 * `meta` off the wire: one line per scalar in a fixed order (e r dl dn di ip m u q s sd), then the body
 * and the origin as JSON, "" when absent; or, when a text scalar held a newline, one JSON object with
 * those keys (its first character is "{"). A request event has "" for s and sd, read as absent.
 * Splitting costs ~0.2 µs where JSON.parse of the same scalars cost ~0.6 µs (measured).
 */
export function parseMeta(meta) {
  // Set by originFrom; the JSON form's origin has none, so a result always sends that one back.
  eventPristineOrigin = null;
  if (meta[0] === '{') return parse(meta);
  const p = StringSplit(meta, '\n');
  const hasResponse = p[9] !== '';
  return {
    e: p[0],
    r: p[1],
    dl: NumberCtor(p[2]),
    dn: p[3],
    di: p[4],
    ip: p[5],
    m: p[6],
    u: p[7],
    q: p[8],
    s: hasResponse ? p[9] : undefined,
    sd: hasResponse ? p[10] : undefined,
    b: p[11] === '' ? undefined : parse(p[11]),
    o: p[12] === '' ? undefined : originFrom(p[12]),
  };
}

/**
 * An origin event's origin: the host sends the same JSON for every event to the same origin, so it is
 * parsed once per isolate and each event gets a copy of that (0.14 µs against 0.6 µs for parsing it
 * again). The parsed object stays here, never reachable from user code: it is what pristineOrigin
 * compares a result's origin with.
 */
let lastOriginJson = '';
let lastOrigin = null;
let eventPristineOrigin = null;
function originFrom(json) {
  if (json !== lastOriginJson) {
    lastOrigin = parse(json);
    lastOriginJson = json;
  }
  eventPristineOrigin = lastOrigin;
  return copyData(lastOrigin, 0);
}

/** The current event's origin as it came in, or null when there is none to compare with. */
export function pristineOrigin() {
  return eventPristineOrigin;
}

/** A deep copy of JSON.parse output (objects, arrays, primitives); `__proto__` stays an own property. */
function copyData(v, depth) {
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_JSON_DEPTH) throw new ShapeError('the origin is nested too deeply');
  if (isArray(v)) {
    const out = [];
    for (let i = 0; i < v.length; i++) out[i] = copyData(v[i], depth + 1);
    return out;
  }
  const out = {};
  const names = keys(v);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = copyData(v[name], depth + 1);
    if (name === '__proto__') defineProperty(out, name, { value, writable: true, enumerable: true, configurable: true });
    else out[name] = value;
  }
  return out;
}

/**
 * Whether `v` (a value user code may have changed) serialises as `data` (plain data, made by
 * JSON.parse) does: the same own enumerable keys in the same order, the same primitives. Any doubt
 * (a different order, a key set to undefined, anything nested too deeply) answers false, so the value
 * is serialised as usual; true lets the result leave it out. (A `toJSON` user code put on
 * Object.prototype is not consulted: the value is taken as the data it holds.)
 */
export function sameData(v, data, depth) {
  if (v === data) return true;
  if (v === null || data === null || typeof v !== 'object' || typeof data !== 'object' || depth > MAX_JSON_DEPTH) return false;
  if (isArray(data)) {
    if (!isArray(v) || v.length !== data.length) return false;
    for (let i = 0; i < data.length; i++) if (!sameData(v[i], data[i], depth + 1)) return false;
    return true;
  }
  if (isArray(v)) return false;
  const names = keys(v);
  const dataNames = keys(data);
  if (names.length !== dataNames.length) return false;
  for (let i = 0; i < names.length; i++) {
    if (names[i] !== dataNames[i] || !sameData(v[names[i]], data[dataNames[i]], depth + 1)) return false;
  }
  return true;
}

/** `prefix` and the JSON of `value`, or "" when JSON leaves it out (undefined, a function, a symbol). */
export function jsonMember(prefix, value) {
  const s = stringify(value);
  return s === undefined ? '' : prefix + s;
}
