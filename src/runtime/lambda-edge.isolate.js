// Runs INSIDE a V8 isolate (isolated-vm), never in the host: the bootstrap of the Lambda@Edge runtime
// (`runtime: nodejs-edge`). Bundled by esbuild with isolate-core.isolate.js (the console, invocation
// state and envelope it shares with cloudfront-functions.isolate.js) and sandbox/primordials.isolate.js
// into one script (sandbox-units.ts, bootstrapCode), evaluated once per isolate, before any user code;
// its default export is the script's completion value: the entry table the host keeps references to.
// Nothing of the host is reachable from here: the host talks to this file only through strings (JSON
// envelopes), so no host object, prototype or callback ever crosses into user code. The one exception
// is attachSandbox, which receives the sandbox's registry (sandbox/registry.isolate.js), an object of
// this isolate holding the sandbox's private host callback; the bootstrap takes only its `require`
// and error hook.
//
// The wire (docs/architecture.md, "The isolate boundary"): headers cross as one string, the raw
// header list joined with "\n" ("Name\nvalue\nName\nvalue"; CR and LF can never occur inside a header),
// scalars as lines in a fixed order (or one JSON object when one holds a newline; isolate-core's
// parseMeta), and a result's scalars go back the same way (encodeResult). The CloudFront-shaped event
// is built here, from those strings, and the handler's result is flattened back the same way;
// nothing crosses as an object graph.
//
// Every entry (invoke, poll, fireTimer, settleOp) returns an envelope string:
//   STATE META "\n" PAYLOAD
// STATE: R (result), E (the handler failed), V (the result has the wrong shape), P (pending, awaiting
// a timer or a host operation). META: "" or JSON {l: [[level, line]…], t: [[timerId, delayMs]…],
// c: [timerId…], o: [[opId, kind, args, bins]…], a: [opId…]} (t/c only when there are timer requests;
// o/a: host operations, see sandbox/host-ops.isolate.js, only when there are some): console lines and
// timer requests are buffered and handed back with the envelope instead of calling the host, so a
// call that is cut short leaves no trace outside the isolate. PAYLOAD for R: the result's scalars,
// as lines ("Q", h, uri, querystring, method | "S", h, status, statusDescription; see encodeResult)
// or as a JSON object ({t: "Q"|"S", uri, querystring, method, body, origin | status,
// statusDescription, body, bodyEncoding; h}), "\n", the flattened headers; for E: JSON {name,
// message, stack}; for V: a message.
// The envelope, the console and the invocation state are isolate-core.isolate.js's; the event, the
// result's encoding, timers and `context` / `callback` are this file's.
import {
  ArrayPush,
  FunctionCall,
  MapClear,
  MapCtor,
  MapDelete,
  MapGet,
  MapSet,
  MapSize,
  MathMax,
  MathMin,
  MathTrunc,
  PromiseThen,
  NumberCtor,
  StringCtor,
  StringIndexOf,
  StringSplit,
  StringToLowerCase,
  apply,
  dateNow,
  defineProperty,
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
  currentInvocation,
  invocationState,
  defineRuntime,
  envelope,
  formatValue,
  installConsole,
  json,
  jsonMember,
  log,
  parseMeta,
  pristineOrigin,
  unpackEvent,
  sameData,
  settle,
  settleOp,
  settleReturned,
  titleCase,
} from './isolate-core.isolate.js';

const MAX_TIMERS = 100;

let timerRequests = [];
let timerCancels = [];
const timers = new MapCtor();
let nextTimerId = 1;

// Enough of util.format for log lines: %s %d %i %f %j %o %O %%, then the rest space-separated.
function format(args) {
  let out = '';
  let i = 0;
  if (typeof args[0] === 'string' && args.length > 1) {
    const fmt = args[0];
    i = 1;
    for (let p = 0; p < fmt.length; p++) {
      const ch = fmt[p];
      if (ch !== '%' || p + 1 >= fmt.length) {
        out += ch;
        continue;
      }
      const spec = fmt[p + 1];
      if (spec === '%') {
        out += '%';
        p++;
      } else if (StringIndexOf('sdifjoO', spec) !== -1) {
        if (i >= args.length) {
          out += '%' + spec;
        } else {
          const a = args[i++];
          if (spec === 'd' || spec === 'i') out += StringCtor(spec === 'i' ? MathTrunc(NumberCtor(a)) : NumberCtor(a));
          else if (spec === 'f') out += StringCtor(NumberCtor(a));
          else if (spec === 's') out += formatValue(a, 1);
          else out += formatValue(a, 0);
        }
        p++;
      } else {
        out += ch;
      }
    }
  }
  for (; i < args.length; i++) out += (out.length > 0 ? ' ' : '') + formatValue(args[i], 0);
  return out;
}

/** META's timer members: the timers asked for and cancelled since the last envelope. */
function timerMeta() {
  if (timerRequests.length === 0 && timerCancels.length === 0) return '';
  const meta = ',"t":' + json(timerRequests, 0) + ',"c":' + json(timerCancels, 0);
  timerRequests = [];
  timerCancels = [];
  return meta;
}

defineRuntime({ formatArgs: format, encodeResult, extraMeta: timerMeta });
installConsole(true);

// Timers are owned by the host (it holds the real clock); the isolate keeps the callbacks. An
// interval is a timer the isolate asks for again each time it fires, under the same id; like every
// timer it dies with the invocation (invoke clears the table, the host drops its handles on settle).
function addTimer(name, callback, delayMs, args, repeat) {
  if (typeof callback !== 'function') throw new TypeError(name + ': callback must be a function');
  if (MapSize(timers) >= MAX_TIMERS) throw new RangeError(name + ': more than ' + MAX_TIMERS + ' pending timers');
  const id = nextTimerId++;
  let ms = NumberCtor(delayMs);
  if (!(ms >= 0)) ms = 0;
  ms = MathMin(ms, 2147483647);
  // Node runs an interval of 0 ms every 1 ms; so do we, so a zero interval cannot spin the host.
  if (repeat && ms < 1) ms = 1;
  MapSet(timers, id, { callback, args, repeat, ms });
  ArrayPush(timerRequests, [id, ms]);
  return id;
}
function setTimeout(callback, delayMs, ...args) {
  return addTimer('setTimeout', callback, delayMs, args, false);
}
function setInterval(callback, delayMs, ...args) {
  return addTimer('setInterval', callback, delayMs, args, true);
}
function clearTimeout(id) {
  if (MapDelete(timers, id)) ArrayPush(timerCancels, id);
}
defineProperty(globalThis, 'setTimeout', { value: setTimeout, writable: true, configurable: true });
defineProperty(globalThis, 'clearTimeout', { value: clearTimeout, writable: true, configurable: true });
defineProperty(globalThis, 'setInterval', { value: setInterval, writable: true, configurable: true });
// HTML: clearTimeout and clearInterval share one list of timers.
defineProperty(globalThis, 'clearInterval', { value: clearTimeout, writable: true, configurable: true });

// ---- the wire: raw header strings <-> CloudFront header objects ----

const NO_PARTS = [];
/**
 * The current event's header lists as they came in, [Name, value, …], and each pair's lowercase name,
 * for encodeResult to compare the result with.
 */
let requestParts = NO_PARTS;
let requestLowers = NO_PARTS;
let responseParts = NO_PARTS;
let responseLowers = NO_PARTS;

/** "Name\nvalue\n…" split into [Name, value, …]: the event's input list, kept to compare the result with. */
function headerParts(flat) {
  return flat === '' ? NO_PARTS : StringSplit(flat, '\n');
}

/** [Name, value, …] → {lowercase: [{key, value}…]}, duplicates kept in order; each pair's lowercase name goes to `lowers`. */
function cfHeaders(parts, lowers) {
  const headers = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i];
    const lower = StringToLowerCase(key);
    ArrayPush(lowers, lower);
    const entry = { key, value: parts[i + 1] };
    // Names come from the viewer. `__proto__` is the one name whose assignment would not make an own
    // property (it is Object.prototype's accessor): it must become an own data property, never a
    // change to Object.prototype, which would outlive the request in a warm isolate. Every other name
    // is assigned: defining each property costs ~1.5 µs per event on the hot path (measured), and an
    // inherited name (`constructor`, `toString`) is checked with hasOwn, so it is never read as a list.
    if (hasOwn(headers, lower)) ArrayPush(headers[lower], entry);
    else if (lower === '__proto__') defineProperty(headers, lower, { value: [entry], writable: true, enumerable: true, configurable: true });
    else headers[lower] = [entry];
  }
  return headers;
}

/**
 * {lowercase: [{key, value}…]} → "Name\nvalue\n…", leaving out the leading pairs that are the event's
 * own input list unchanged (`input`): their count goes in `keptPairs`, and the host takes those pairs
 * from the list it sent, which it had checked already. A handler that adds or changes a header or two
 * (the common case) sends back only those. The host re-validates every name and value it receives.
 */
let keptPairs = 0;
function flatHeaders(headers, path, input, inputLowers) {
  keptPairs = 0;
  if (headers === undefined) return '';
  if (headers === null || typeof headers !== 'object' || isArray(headers)) throw new ShapeError(path + ' must be an object');
  let out = '';
  let kept = 0;
  let prefix = input.length > 0;
  const names = keys(headers);
  for (let n = 0; n < names.length; n++) {
    const name = names[n];
    const list = headers[name];
    if (!isArray(list)) throw new ShapeError(path + '["' + name + '"] must be an array of {key, value}');
    if (StringToLowerCase(name) !== name) throw new ShapeError(path + '["' + name + '"]: header names must be lowercase object keys');
    for (let i = 0; i < list.length; i++) {
      const entry = list[i];
      if (entry === null || typeof entry !== 'object' || typeof entry.value !== 'string') {
        throw new ShapeError(path + '["' + name + '"][' + i + '].value must be a string');
      }
      // The object's name decides which header this is; `key` only gives its case. A `key` naming
      // another header is not refused: AWS's published "Override a response header" example copies
      // the X-Amz-Meta-Last-Modified entry (key and all) under last-modified, and it is meant to set
      // Last-Modified. So, as with a missing key, the name goes out in Title-Case (Lambda@Edge's rule
      // for a missing key).
      let key = entry.key;
      const v = entry.value;
      // The next pair of the input list, as it came in and under its own name: nothing to check or send.
      if (prefix && 2 * kept + 1 < input.length && input[2 * kept] === key && input[2 * kept + 1] === v && inputLowers[kept] === name) {
        kept++;
        continue;
      }
      prefix = false;
      if (key !== undefined && typeof key !== 'string') throw new ShapeError(path + '["' + name + '"][' + i + '].key must be a string');
      if (key === undefined || StringToLowerCase(key) !== name) key = titleCase(name);
      if (StringIndexOf(v, '\n') !== -1 || StringIndexOf(v, '\r') !== -1 || StringIndexOf(key, '\n') !== -1) {
        throw new ShapeError(path + '["' + name + '"][' + i + '] has characters not allowed in a header');
      }
      out += (out === '' ? '' : '\n') + key + '\n' + v;
    }
  }
  keptPairs = kept;
  return out;
}

/**
 * A handler's result → wire payload: its scalars, then the headers. A request is compared with the
 * event's request headers, a response with the event's response headers (a response a request hook
 * generates has none to keep); `h` counts the input pairs kept at the head of the headers.
 *
 * The scalars go as lines when they can, which is almost always: "Q", h, then uri, querystring and
 * method, each "u" when absent or "s" and the string; or "S", h, status, then statusDescription the
 * same way. Lines when no body (or origin) is set and every scalar is absent or a string without a
 * newline; the host then reads them without JSON.parse (~0.35 µs a call, measured). Otherwise they go
 * as one JSON object with `t` ("Q" or "S"), the same fields and `h`, told by its first character, "{".
 *
 * That JSON is written member by member, each value through JSON.stringify: 0.19 µs where
 * JSON.stringify of a prototype-less scalars object cost 0.79 µs (measured). json() exists so that
 * a `toJSON` user code sets on a prototype can never rewrite an envelope's META (log lines, timer and
 * host-operation requests). Here it could only change this result's own payload, which the user's
 * code decides anyway and the host validates in full: the payload follows META, and JSON.stringify's
 * output has no raw newline, so it cannot reach past the scalars into the header lines either. A
 * value that cannot be serialised (circular, BigInt) throws, and settle() answers V.
 *
 * An origin-request result whose origin is the event's own, unchanged, leaves `origin` out: the host
 * keeps the origin it sent (cf-result.ts validateOrigin), so neither side serialises or checks it.
 */
function encodeResult(v) {
  if (v === null || typeof v !== 'object' || isArray(v)) throw new ShapeError('expected a request or response object');
  if ('status' in v) {
    const status = v.status;
    const statusDescription = v.statusDescription;
    const body = v.body;
    const bodyEncoding = v.bodyEncoding;
    const flat = flatHeaders(v.headers, 'response.headers', responseParts, responseLowers);
    const tail = flat === '' ? '' : '\n' + flat;
    if (typeof status === 'string' && body === undefined && bodyEncoding === undefined && lineable(status) && lineable(statusDescription)) {
      return 'S\n' + keptPairs + '\n' + status + '\n' + lineField(statusDescription) + tail;
    }
    return (
      '{"t":"S"' +
      jsonMember(',"status":', status) +
      jsonMember(',"statusDescription":', statusDescription) +
      jsonMember(',"body":', body) +
      jsonMember(',"bodyEncoding":', bodyEncoding) +
      ',"h":' +
      keptPairs +
      '}\n' +
      flat
    );
  }
  if (v.headers === undefined) throw new ShapeError('request.headers must be an object');
  const uri = v.uri;
  const querystring = v.querystring;
  const method = v.method;
  const body = v.body;
  let origin = v.origin;
  const flat = flatHeaders(v.headers, 'request.headers', requestParts, requestLowers);
  if (origin !== undefined && origin === eventOrigin && unchangedOrigin(origin)) origin = undefined;
  if (body === undefined && origin === undefined && lineable(uri) && lineable(querystring) && lineable(method)) {
    return 'Q\n' + keptPairs + '\n' + lineField(uri) + '\n' + lineField(querystring) + '\n' + lineField(method) + (flat === '' ? '' : '\n' + flat);
  }
  return (
    '{"t":"Q"' +
    jsonMember(',"uri":', uri) +
    jsonMember(',"querystring":', querystring) +
    jsonMember(',"method":', method) +
    jsonMember(',"body":', body) +
    jsonMember(',"origin":', origin) +
    ',"h":' +
    keptPairs +
    '}\n' +
    flat
  );
}

/** Whether a scalar can go as a line of the result's line form: absent, or a string without a newline. */
function lineable(v) {
  return v === undefined || (typeof v === 'string' && StringIndexOf(v, '\n') === -1);
}

/** A lineable scalar as its line: "u" when absent, "s" and the string otherwise. */
function lineField(v) {
  return v === undefined ? 'u' : 's' + v;
}

/** The event's `request.origin` ({custom}), to tell a result that kept it. */
let eventOrigin = null;

/** Whether the event's own origin object still holds just what came in: `{custom: <the origin sent>}`. */
function unchangedOrigin(origin) {
  const pristine = pristineOrigin();
  if (pristine === null) return false;
  const names = keys(origin);
  return names.length === 1 && names[0] === 'custom' && sameData(origin.custom, pristine, 0);
}

/** The Lambda@Edge event, built from the wire: {Records: [{cf: {config, request, response?}}]}. */
function buildEvent(m, requestHeaders, responseHeaders) {
  const isResponse = m.s !== undefined;
  requestParts = headerParts(requestHeaders);
  requestLowers = [];
  responseParts = isResponse ? headerParts(responseHeaders) : NO_PARTS;
  responseLowers = [];
  const request = { clientIp: m.ip, headers: cfHeaders(requestParts, requestLowers), method: m.m, querystring: m.q, uri: m.u };
  if (m.b !== undefined) request.body = m.b;
  eventOrigin = m.o === undefined ? null : (request.origin = { custom: m.o });
  const cf = { config: { distributionDomainName: m.dn, distributionId: m.di, eventType: m.e, requestId: m.r }, request };
  if (isResponse) cf.response = { status: m.s, statusDescription: m.sd, headers: cfHeaders(responseParts, responseLowers) };
  return { Records: [{ cf }] };
}

// Per-version facts for `context`, set once by the host after the code loaded.
let staticContext = { functionName: '', functionVersion: '', invokedFunctionArn: '', memoryLimitInMB: '128', logStreamName: '' };

let handler = null;
/** The sandbox's `require` (sandbox/registry.isolate.js), set by attachSandbox. */
let userRequire = (name) => {
  throw new Error("Cannot find module '" + StringCtor(name) + "': it is not available in the Verge sandbox");
};

/**
 * Begins one invocation and calls the handler; returns the promise its settling waits on, if any (the
 * invocation may already be settled). invoke and invokeBatch both start invocations here.
 */
function startInvocation(packed) {
  const seq = beginInvocation();
  // Only when there is something to clear: Map.prototype.clear() allocates a new table every time
  // (in the old generation once this long-lived map's table is there), a garbage table per invocation.
  if (MapSize(timers) > 0) MapClear(timers);
  // Timers asked for or cancelled since the last envelope belong to an earlier invocation (or the
  // top level): their callbacks are gone with the map, so the host must not arm them for this one.
  timerRequests = [];
  timerCancels = [];
  if (handler === null) {
    settle(seq, 'E', { name: 'Runtime.HandlerNotFound', message: 'No handler' });
    return undefined;
  }
  // Indexed, not destructured: destructuring goes through Array.prototype[Symbol.iterator], which
  // user code can replace.
  const parts = unpackEvent(packed);
  const m = parseMeta(parts[0]);
  const event = buildEvent(m, parts[1], parts[2]);
  const deadline = m.dl;
  const sc = staticContext;
  const context = {
    functionName: sc.functionName,
    functionVersion: sc.functionVersion,
    invokedFunctionArn: sc.invokedFunctionArn,
    memoryLimitInMB: sc.memoryLimitInMB,
    awsRequestId: m.r,
    logGroupName: '/aws/lambda/us-east-1.' + sc.functionName,
    logStreamName: sc.logStreamName,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => MathMax(0, deadline - dateNow()),
    done: (err, res) => callback(err, res),
    succeed: (res) => callback(null, res),
    fail: (err) => callback(err),
  };
  let called = false;
  const callback = (err, res) => {
    if (called) return;
    called = true;
    if (err !== null && err !== undefined) settle(seq, 'E', err);
    else settle(seq, 'R', res);
  };
  let returned;
  try {
    returned = handler(event, context, callback);
  } catch (err) {
    settle(seq, 'E', err);
    return undefined;
  }
  // `undefined`: the handler settles through its callback (or never, and the deadline ends it).
  return settleReturned(seq, returned, true);
}

// ---- batches (invokeBatch) ----

const NO_EVENTS = [];
/** The batch's events, three arguments each; the finished invocations' envelopes, length-prefixed. */
let batchEvents = NO_EVENTS;
let batchOut = '';
let batchDone = 0;

/** Starts the batch's invocations from `i` on, while each settles at once; chains on one that settles later. */
function runBatchFrom(i) {
  const events = batchEvents;
  for (; i < events.length; i++) {
    const settling = startInvocation(events[i]);
    if (invocationState() !== 'P') {
      if (!finishBatchItem()) return;
      continue;
    }
    // Added after settleReturned's reactions on the same promise, so it runs after them.
    if (settling !== undefined) {
      const seq = currentInvocation();
      const next = i + 1;
      const resume = () => {
        // Still pending (a callback it has not called yet), or a batch taken meanwhile: stop here.
        if (events !== batchEvents || seq !== currentInvocation() || invocationState() === 'P') return;
        if (finishBatchItem()) runBatchFrom(next);
      };
      PromiseThen(settling, resume, resume);
    }
    return;
  }
}

/** Adds the settled invocation's envelope to the batch; false when it failed, which stops the batch. */
function finishBatchItem() {
  const ok = invocationState() === 'R';
  const env = envelope();
  batchOut += env.length + ':' + env;
  batchDone++;
  return ok;
}

export default {
  /** Links the sandbox installed beside this bootstrap: its `require`, and where its units report errors. */
  attachSandbox(sandbox) {
    userRequire = attachSandbox(sandbox);
  },

  /** Runs a CommonJS-wrapped user module: fn(exports, require, module, __filename, __dirname). */
  initCommonJs(moduleFunction, filename) {
    const module = { exports: {} };
    FunctionCall(moduleFunction, module.exports, module.exports, userRequire, module, filename, '/var/task');
    const exp = module.exports;
    if (exp !== null && (typeof exp === 'object' || typeof exp === 'function')) {
      if (typeof exp.handler === 'function') handler = exp.handler;
      else if (typeof exp.default === 'function') handler = exp.default;
      else if (typeof exp === 'function') handler = exp;
    }
    if (handler === null) throw new TypeError('The module does not export a handler function (exports.handler)');
    return envelope();
  },

  /** Receives the namespace of an ES module user function. */
  initModule(namespace) {
    if (typeof namespace.handler === 'function') handler = namespace.handler;
    else if (typeof namespace.default === 'function') handler = namespace.default;
    else throw new TypeError('The module does not export a handler function (export const handler or export default)');
    return envelope();
  },

  /** Per-version context fields, fixed for the isolate's life. */
  configure(contextJson) {
    staticContext = parse(contextJson);
  },

  /**
   * Starts one invocation of the event on the wire (isolate-instance.ts packEvent).
   * The result may be settled already when this returns (microtasks run after it).
   */
  invoke(event) {
    startInvocation(event);
    return envelope();
  },

  /**
   * Runs a batch of invocations of this function one after another, each event as one argument
   * (isolate-instance.ts packEvent): one call into the isolate for many, so its fixed cost
   * (entering the isolate, isolated-vm's timeout, the poll) is paid once per batch (FunctionRuntime.invokeMany).
   * An invocation that settles at once or in microtasks lets the next one start (the chain runs in the
   * microtask checkpoint that ends this call). The batch stops at an invocation that fails (the host
   * replaces the isolate, as after any failure) or that still waits when the microtasks are done (a
   * timer, a host operation, an uncalled callback): the host then discards this isolate with it, so
   * nothing that invocation asked for leaves, and runs it and the rest on their own. takeBatch reads
   * the outcome.
   */
  invokeBatch(...events) {
    batchEvents = events;
    batchOut = '';
    batchDone = 0;
    runBatchFrom(0);
    return '';
  },

  /** The batch's outcome, after microtasks: "COUNT\n", then one length-prefixed envelope ("LENGTH:ENVELOPE") per finished invocation, in order. */
  takeBatch() {
    const out = batchDone + '\n' + batchOut;
    batchEvents = NO_EVENTS;
    batchOut = '';
    return out;
  },

  /** The state of the current invocation, after microtasks have run. */
  poll: envelope,

  /** The host finished operation `id` (a fetch, a crypto.subtle call): `json` and `bytes` are copies. */
  settleOp,

  /** The host's clock says timer `id` is due. */
  fireTimer(id) {
    const t = MapGet(timers, id);
    if (t !== undefined) {
      if (!t.repeat) MapDelete(timers, id);
      const seq = currentInvocation();
      try {
        apply(t.callback, undefined, t.args);
      } catch (err) {
        // An uncaught exception in a timer ends the invocation, as an uncaught exception ends a Lambda.
        settle(seq, 'E', err);
      }
      // An interval asks again unless its callback cleared it.
      if (t.repeat && MapGet(timers, id) === t) ArrayPush(timerRequests, [id, t.ms]);
    }
    return envelope();
  },
};
