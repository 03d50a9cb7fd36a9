// Runs INSIDE a V8 isolate (isolated-vm), never in the host. Evaluated once per isolate, before any user
// code; its completion value is the entry table the host keeps references to. Nothing of the host is
// reachable from here: the host talks to this file only through strings (JSON envelopes), so no host
// object, prototype or callback ever crosses into user code. The one exception is attachSandbox,
// which receives the sandbox's registry (sandbox/registry.isolate.js), an object of this isolate
// holding the sandbox's private host callback; the bootstrap takes only its `require` and error hook.
//
// The wire (docs/architecture.md, "The isolate boundary"): headers cross as one string, the raw
// header list joined with "\n" ("Name\nvalue\nName\nvalue"; CR and LF can never occur inside a header),
// scalars as a small JSON object. The CloudFront-shaped event is built here, from those strings, and
// the handler's result is flattened back the same way; nothing crosses as an object graph.
//
// Every entry (invoke, poll, fireTimer) returns an envelope string:
//   STATE META "\n" PAYLOAD
// STATE: R (result), E (the handler failed), V (the result has the wrong shape), P (pending, awaiting
// a timer or a host operation). META: "" or JSON {l: [[level, line]…], t: [[timerId, delayMs]…], c: [timerId…],
// o: [[opId, kind, args, bins]…], a: [opId…]} (o/a: host operations, see sandbox/host-ops.isolate.js): console
// lines and timer requests are buffered and handed back with the envelope instead of calling the host,
// so a call that is cut short leaves no trace outside the isolate. PAYLOAD for R: a JSON object of the
// result's scalars ({t: "Q"|"S", uri, querystring, method, body, origin | status, statusDescription,
// body, bodyEncoding}), "\n", the flattened headers; for E: JSON {name, message, stack}; for V: a message.
(function bootstrap() {
  'use strict';
  // Captured now, so user code that replaces globals cannot change how we encode results.
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const PromiseCtor = Promise;
  const apply = Reflect.apply;
  const dateNow = Date.now;
  const StringCtor = String;
  const ObjectCtor = Object;
  const isArray = Array.isArray;
  const MapCtor = Map;
  // Methods taken off the prototypes now and called as plain functions (Node's "primordials"): user
  // code that later replaces String.prototype.split or Function.prototype.call cannot change them,
  // and a direct call allocates no arguments array as Reflect.apply(fn, self, [args]) does.
  const uncurryThis = Function.prototype.call.bind.bind(Function.prototype.call);
  const MapGet = uncurryThis(Map.prototype.get);
  const MapSet = uncurryThis(Map.prototype.set);
  const MapDelete = uncurryThis(Map.prototype.delete);
  const MapClear = uncurryThis(Map.prototype.clear);
  const ArrayPush = uncurryThis(Array.prototype.push);
  const StringSplit = uncurryThis(String.prototype.split);
  const StringToLowerCase = uncurryThis(String.prototype.toLowerCase);
  const StringToUpperCase = uncurryThis(String.prototype.toUpperCase);
  const StringIndexOf = uncurryThis(String.prototype.indexOf);
  const PromiseThen = uncurryThis(Promise.prototype.then);
  const FunctionCall = uncurryThis(Function.prototype.call);
  const keys = Object.keys;
  const ObjectHasOwn = Object.hasOwn;
  const ObjectDefineProperty = Object.defineProperty;
  const NumberCtor = Number;
  const MathMin = Math.min;
  const MathMax = Math.max;
  const MathTrunc = Math.trunc;
  const StringSlice = uncurryThis(String.prototype.slice);
  const MapSize = uncurryThis(ObjectCtor.getOwnPropertyDescriptor(Map.prototype, 'size').get);

  const MAX_LOG_LINES = 200;
  const MAX_LOG_LINE_CHARS = 8192;
  const MAX_TIMERS = 100;

  let logs = [];
  let droppedLogs = 0;
  let timerRequests = [];
  let timerCancels = [];
  const timers = new MapCtor();
  let nextTimerId = 1;
  // The sandbox object (sandbox/registry.isolate.js), set by attachSandbox. Its `hostOps` is the queue
  // of host operations (fetch, crypto.subtle: sandbox/host-ops.isolate.js), made by the units using it.
  let sandboxRef = null;

  // Invocation state: one invocation at a time per isolate, as in a Lambda execution environment.
  let state = 'P';
  let value = null;
  let invocationSeq = 0;

  function formatValue(v, depth) {
    if (typeof v === 'string') return v;
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : ' (anonymous)') + ']';
    if (typeof v === 'bigint') return StringCtor(v) + 'n';
    if (typeof v === 'symbol') return StringCtor(v);
    if (v instanceof Error) return (v.stack || v.name + ': ' + v.message);
    if (v !== null && typeof v === 'object' && depth === 0) {
      try {
        return stringify(v);
      } catch {
        return '[Object]';
      }
    }
    return StringCtor(v);
  }

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

  function log(level, args) {
    if (logs.length >= MAX_LOG_LINES) {
      droppedLogs++;
      return;
    }
    let line;
    try {
      line = format(args);
    } catch (err) {
      line = '[unprintable log arguments]';
    }
    if (line.length > MAX_LOG_LINE_CHARS) line = StringSlice(line, 0, MAX_LOG_LINE_CHARS) + '… [truncated]';
    ArrayPush(logs, [level, line]);
  }

  const consoleObject = {
    log: (...a) => log('info', a),
    info: (...a) => log('info', a),
    warn: (...a) => log('warn', a),
    error: (...a) => log('error', a),
    debug: (...a) => log('debug', a),
    trace: (...a) => log('debug', a),
  };
  ObjectCtor.defineProperty(globalThis, 'console', { value: consoleObject, writable: true, configurable: true });

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
  ObjectCtor.defineProperty(globalThis, 'setTimeout', { value: setTimeout, writable: true, configurable: true });
  ObjectCtor.defineProperty(globalThis, 'clearTimeout', { value: clearTimeout, writable: true, configurable: true });
  ObjectCtor.defineProperty(globalThis, 'setInterval', { value: setInterval, writable: true, configurable: true });
  // HTML: clearTimeout and clearInterval share one list of timers.
  ObjectCtor.defineProperty(globalThis, 'clearInterval', { value: clearTimeout, writable: true, configurable: true });

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

  function settle(seq, s, v) {
    if (seq !== invocationSeq || state !== 'P') return; // late callbacks of an earlier or settled invocation
    if (s === 'E') {
      state = 'E';
      value = json(errorInfo(v), 0);
      return;
    }
    try {
      value = encodeResult(v);
      state = 'R';
    } catch (err) {
      state = 'V';
      value = err instanceof ShapeError ? err.message : 'The function result cannot be serialised: ' + errorInfo(err).message;
    }
  }

  function envelope() {
    if (droppedLogs > 0) {
      ArrayPush(logs, ['warn', droppedLogs + ' log lines dropped (more than ' + MAX_LOG_LINES + ' in one invocation)']);
      droppedLogs = 0;
    }
    let meta = '';
    const hostOps = sandboxRef === null ? undefined : sandboxRef.hostOps;
    const ops = hostOps === undefined ? null : hostOps.take();
    if (logs.length > 0 || timerRequests.length > 0 || timerCancels.length > 0 || ops !== null) {
      meta = '{"l":' + json(logs, 0) + ',"t":' + json(timerRequests, 0) + ',"c":' + json(timerCancels, 0);
      // Host operations: their args are plain data the units copied out of user values when queuing.
      if (ops !== null) meta += ',"o":' + json(ops[0], 0) + ',"a":' + json(ops[1], 0);
      meta += '}';
      logs = [];
      timerRequests = [];
      timerCancels = [];
    }
    return state === 'P' ? 'P' + meta : state + meta + '\n' + value;
  }

  // ---- the wire: raw header strings <-> CloudFront header objects ----

  /**
   * JSON for the wire, written here rather than by JSON.stringify on objects: JSON.stringify consults
   * `toJSON` on every object (ECMA-262 SerializeJSONProperty), so user code that sets
   * Object.prototype.toJSON or Array.prototype.toJSON could otherwise rewrite the envelope (forge log
   * lines or timer requests) of this and every later invocation. Only primitives go to JSON.stringify,
   * which never looks up toJSON for them. Own enumerable properties only; undefined and functions are
   * left out as JSON does.
   */
  const MAX_JSON_DEPTH = 32;
  function json(v, depth) {
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

  class ShapeError extends Error {}

  /** "Name\nvalue\n…" → {lowercase: [{key, value}…]}, duplicates kept in order. */
  function cfHeaders(flat) {
    const headers = {};
    if (flat === '') return headers;
    const parts = StringSplit(flat, '\n');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const key = parts[i];
      const lower = StringToLowerCase(key);
      const entry = { key, value: parts[i + 1] };
      // Names come from the viewer: a header named `__proto__` must become an own data property, never
      // an assignment to Object.prototype, which would outlive the request in a warm isolate.
      if (!ObjectHasOwn(headers, lower)) ObjectDefineProperty(headers, lower, { value: [entry], writable: true, enumerable: true, configurable: true });
      else ArrayPush(headers[lower], entry);
    }
    return headers;
  }

  /** Lambda@Edge fills a missing `key` with the name in Title-Case. */
  function titleCase(name) {
    let out = '';
    let upper = true;
    for (let i = 0; i < name.length; i++) {
      const ch = name[i];
      out += upper ? StringToUpperCase(ch) : ch;
      upper = ch === '-';
    }
    return out;
  }

  /** {lowercase: [{key, value}…]} → "Name\nvalue\n…"; the host re-validates every name and value. */
  function flatHeaders(headers, path) {
    if (headers === undefined) return '';
    if (headers === null || typeof headers !== 'object' || isArray(headers)) throw new ShapeError(path + ' must be an object');
    let out = '';
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
        // Last-Modified. So, as with a missing key, the name goes out in Title-Case.
        let key = entry.key;
        if (key !== undefined && typeof key !== 'string') throw new ShapeError(path + '["' + name + '"][' + i + '].key must be a string');
        if (key === undefined || StringToLowerCase(key) !== name) key = titleCase(name);
        const v = entry.value;
        if (StringIndexOf(v, '\n') !== -1 || StringIndexOf(v, '\r') !== -1 || StringIndexOf(key, '\n') !== -1) {
          throw new ShapeError(path + '["' + name + '"][' + i + '] has characters not allowed in a header');
        }
        out += (out === '' ? '' : '\n') + key + '\n' + v;
      }
    }
    return out;
  }

  /** A handler's result → wire payload: scalars as JSON, then the headers. */
  function encodeResult(v) {
    if (v === null || typeof v !== 'object' || isArray(v)) throw new ShapeError('expected a request or response object');
    if ('status' in v) {
      const scalars = { t: 'S', status: v.status, statusDescription: v.statusDescription, body: v.body, bodyEncoding: v.bodyEncoding };
      return json(scalars, 0) + '\n' + flatHeaders(v.headers, 'response.headers');
    }
    if (v.headers === undefined) throw new ShapeError('request.headers must be an object');
    const scalars = { t: 'Q', uri: v.uri, querystring: v.querystring, method: v.method, body: v.body, origin: v.origin };
    return json(scalars, 0) + '\n' + flatHeaders(v.headers, 'request.headers');
  }

  /** The Lambda@Edge event, built from the wire: {Records: [{cf: {config, request, response?}}]}. */
  function buildEvent(m, requestHeaders, responseHeaders) {
    const request = { clientIp: m.ip, headers: cfHeaders(requestHeaders), method: m.m, querystring: m.q, uri: m.u };
    if (m.b !== undefined) request.body = m.b;
    if (m.o !== undefined) request.origin = { custom: m.o };
    const cf = { config: { distributionDomainName: m.dn, distributionId: m.di, eventType: m.e, requestId: m.r }, request };
    if (m.s !== undefined) cf.response = { status: m.s, statusDescription: m.sd, headers: cfHeaders(responseHeaders) };
    return { Records: [{ cf }] };
  }

  // Per-version facts for `context`, set once by the host after the code loaded.
  let staticContext = { functionName: '', functionVersion: '', invokedFunctionArn: '', memoryLimitInMB: '128', logStreamName: '' };

  let handler = null;
  /** The sandbox's `require` (sandbox/registry.isolate.js), set by attachSandbox. */
  let userRequire = (name) => {
    throw new Error("Cannot find module '" + StringCtor(name) + "': it is not available in the Verge sandbox");
  };

  return {
    /** Links the sandbox installed beside this bootstrap: its `require`, and where its units report errors. */
    attachSandbox(sandbox) {
      sandboxRef = sandbox;
      userRequire = sandbox.userRequire;
      sandbox.reportError = (err) => log('error', ['Uncaught', err]);
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
     * Starts one invocation: `meta` is the event's scalars as JSON, the headers come as wire strings.
     * The result may be settled already when this returns (microtasks run after it).
     */
    invoke(meta, requestHeaders, responseHeaders) {
      invocationSeq++;
      const seq = invocationSeq;
      state = 'P';
      value = null;
      MapClear(timers);
      if (sandboxRef !== null && sandboxRef.hostOps !== undefined) sandboxRef.hostOps.reset();
      if (handler === null) {
        settle(seq, 'E', { name: 'Runtime.HandlerNotFound', message: 'No handler' });
        return envelope();
      }
      const m = parse(meta);
      const event = buildEvent(m, requestHeaders, responseHeaders);
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
        return envelope();
      }
      if (returned !== null && (typeof returned === 'object' || typeof returned === 'function') && typeof returned.then === 'function') {
        PromiseThen(PromiseCtor.resolve(returned), (res) => settle(seq, 'R', res), (err) => settle(seq, 'E', err));
      } else if (returned !== undefined) {
        settle(seq, 'R', returned);
      }
      return envelope();
    },

    /** The state of the current invocation, after microtasks have run. */
    poll() {
      return envelope();
    },

    /** The host finished operation `id` (a fetch, a crypto.subtle call): `json` and `bytes` are copies. */
    settleOp(id, ok, json, bytes) {
      if (sandboxRef !== null && sandboxRef.hostOps !== undefined) sandboxRef.hostOps.settle(id, ok, json, bytes);
      return envelope();
    },

    /** The host's clock says timer `id` is due. */
    fireTimer(id) {
      const t = MapGet(timers, id);
      if (t !== undefined) {
        if (!t.repeat) MapDelete(timers, id);
        const seq = invocationSeq;
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
})();
