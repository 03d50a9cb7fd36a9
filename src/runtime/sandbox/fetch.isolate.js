// Runs INSIDE a V8 isolate. fetch, Request, Response, Headers, AbortController and AbortSignal: the
// common surface of the WHATWG Fetch Standard (https://fetch.spec.whatwg.org/) and DOM Standard
// (§3.1 AbortController/AbortSignal), written here so that user code only ever holds isolate objects.
// fetch() itself is a host operation (host-ops.isolate.js): the request crosses as JSON and bytes,
// the host performs it with undici, and the response comes back as JSON and one ArrayBuffer.
//
// A unit of the sandbox (globals.isolate.ts rows with unit 'fetch'): installed only into isolates whose
// code names one of these globals, and built on the first read of one.
//
// Bodies are buffered whole (no ReadableStream): Request/Response keep their body as bytes, and
// text()/json()/arrayBuffer()/bytes() read it once (bodyUsed), as the spec's "consume body" does.
import { hostOpsOf } from './host-ops.isolate.js';
// Captured when the unit is installed, before user code runs.
import {
  ArrayPush,
  ArraySort,
  FunctionCall,
  PromiseCtor,
  RegExpTest,
  StringToLowerCase,
  StringToUpperCase,
  U8,
  defineProperty,
  iteratorSymbol,
  keys,
  parse,
  stringify,
  toStringTag,
} from './primordials.isolate.js';

export default function install(sandbox) {
  const ops = hostOpsOf(sandbox);
  sandbox.defineGlobals('fetch', () => buildFetch(globalThis, ops));
}

function buildFetch(g, ops) {
  const codec = ops.codec;
  const setTimeoutFn = ops.setTimeout;
  const URLCtor = () => (typeof g.URL === 'function' ? g.URL : undefined);

  // RFC 9110 §5.1 field-name = token; §5.5 field values exclude CR, LF and NUL.
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const BAD_VALUE = /[\0\r\n]/;
  const NULL_BODY_STATUS = [101, 103, 204, 205, 304];
  const REDIRECT_STATUS = [301, 302, 303, 307, 308];
  const FORBIDDEN_METHOD = ['CONNECT', 'TRACE', 'TRACK'];
  const NORMALIZED_METHOD = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
  const INTERNAL = Symbol('internal');
  const LIST = Symbol('list');

  function DOMError(message, name) {
    return ops.makeError({ name, message });
  }

  // ---- Headers (Fetch §5.2) ----

  function normalizeValue(v) {
    // §2.2 "normalize": strip leading and trailing HTTP whitespace (HT, LF, CR, SP).
    let s = String(v);
    let a = 0;
    let b = s.length;
    while (a < b && (s[a] === ' ' || s[a] === '\t' || s[a] === '\n' || s[a] === '\r')) a++;
    while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t' || s[b - 1] === '\n' || s[b - 1] === '\r')) b--;
    return s.slice(a, b);
  }

  class Headers {
    /** [lowercaseName, value] in insertion order. */
    #list = [];
    #immutable = false;

    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError("Failed to construct 'Headers': The provided value is not of type 'HeadersInit'");
      if (init instanceof Headers) {
        const list = init.#list;
        for (let i = 0; i < list.length; i++) ArrayPush(this.#list, [list[i][0], list[i][1]]);
      } else if (typeof init[iteratorSymbol] === 'function') {
        for (const pair of init) {
          if (pair === null || typeof pair !== 'object' || typeof pair[iteratorSymbol] !== 'function') throw new TypeError("Failed to construct 'Headers': Each header pair must be an iterable [name, value] tuple");
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Failed to construct 'Headers': Each header pair must be a name/value tuple");
          this.append(p[0], p[1]);
        }
      } else {
        const names = keys(init);
        for (let i = 0; i < names.length; i++) this.append(names[i], init[names[i]]);
      }
    }

    static [INTERNAL](list, immutable) {
      const h = new Headers();
      h.#list = list;
      h.#immutable = immutable;
      return h;
    }

    #check(name, value) {
      const n = String(name);
      if (!RegExpTest(TOKEN, n)) throw new TypeError('Invalid header name: "' + n + '"');
      if (value !== undefined && RegExpTest(BAD_VALUE, value)) throw new TypeError('Invalid header value for "' + n + '"');
      if (this.#immutable) throw new TypeError('Headers are immutable');
      return StringToLowerCase(n);
    }

    append(name, value) {
      const v = normalizeValue(value);
      const n = this.#check(name, v);
      ArrayPush(this.#list, [n, v]);
    }

    delete(name) {
      const n = this.#check(name);
      this.#list = this.#list.filter((e) => e[0] !== n);
    }

    get(name) {
      const n = StringToLowerCase(String(name));
      if (!RegExpTest(TOKEN, n)) throw new TypeError('Invalid header name: "' + name + '"');
      let out = null;
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i][0] === n) out = out === null ? list[i][1] : out + ', ' + list[i][1];
      return out;
    }

    getSetCookie() {
      const out = [];
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i][0] === 'set-cookie') ArrayPush(out, list[i][1]);
      return out;
    }

    has(name) {
      const n = StringToLowerCase(String(name));
      if (!RegExpTest(TOKEN, n)) throw new TypeError('Invalid header name: "' + name + '"');
      const list = this.#list;
      for (let i = 0; i < list.length; i++) if (list[i][0] === n) return true;
      return false;
    }

    set(name, value) {
      const v = normalizeValue(value);
      const n = this.#check(name, v);
      const list = this.#list;
      let found = false;
      const next = [];
      for (let i = 0; i < list.length; i++) {
        if (list[i][0] !== n) ArrayPush(next, list[i]);
        else if (!found) {
          found = true;
          ArrayPush(next, [n, v]);
        }
      }
      if (!found) ArrayPush(next, [n, v]);
      this.#list = next;
    }

    /** §5.2 "sort and combine": names sorted, values joined with ", ", Set-Cookie kept apart. */
    #sorted() {
      const names = [];
      const seen = {};
      const list = this.#list;
      for (let i = 0; i < list.length; i++) {
        if (seen[list[i][0]] !== true) {
          seen[list[i][0]] = true;
          ArrayPush(names, list[i][0]);
        }
      }
      ArraySort(names, (a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const out = [];
      for (let i = 0; i < names.length; i++) {
        if (names[i] === 'set-cookie') {
          const cookies = this.getSetCookie();
          for (let k = 0; k < cookies.length; k++) ArrayPush(out, ['set-cookie', cookies[k]]);
        } else {
          ArrayPush(out, [names[i], this.get(names[i])]);
        }
      }
      return out;
    }

    forEach(callback, thisArg) {
      if (typeof callback !== 'function') throw new TypeError('Headers.forEach: callback must be a function');
      const pairs = this.#sorted();
      for (let i = 0; i < pairs.length; i++) FunctionCall(callback, thisArg, pairs[i][1], pairs[i][0], this);
    }

    *entries() {
      const pairs = this.#sorted();
      for (let i = 0; i < pairs.length; i++) yield [pairs[i][0], pairs[i][1]];
    }

    *keys() {
      const pairs = this.#sorted();
      for (let i = 0; i < pairs.length; i++) yield pairs[i][0];
    }

    *values() {
      const pairs = this.#sorted();
      for (let i = 0; i < pairs.length; i++) yield pairs[i][1];
    }

    [iteratorSymbol]() {
      return this.entries();
    }

    get [toStringTag]() {
      return 'Headers';
    }

    /** The raw list, for crossing to the host. */
    static [LIST](h) {
      return h.#list;
    }
  }
  const headerList = Headers[LIST];
  delete Headers[LIST];
  const makeHeaders = Headers[INTERNAL];

  // ---- bodies (Fetch §5.1 "extract a body", §5.3 Body mixin) ----

  /** → [bytes | null, default content type | null] */
  function extractBody(body) {
    if (body === undefined || body === null) return [null, null];
    if (typeof body === 'string') return [codec.utf8Encode(body), 'text/plain;charset=UTF-8'];
    const bytes = codec.copyBufferSource(body);
    if (bytes !== null) return [bytes, null];
    if (typeof g.URLSearchParams === 'function' && body instanceof g.URLSearchParams) {
      return [codec.utf8Encode(String(body)), 'application/x-www-form-urlencoded;charset=UTF-8'];
    }
    if (typeof body === 'object' && typeof body.getReader === 'function') throw new TypeError('ReadableStream bodies are not supported in the Verge sandbox; pass a string or bytes');
    return [codec.utf8Encode(String(body)), 'text/plain;charset=UTF-8'];
  }

  function bodyMixin(Class, state) {
    function consume(self) {
      const s = state(self);
      if (s.used) return PromiseCtor.reject(new TypeError('Body is unusable: Body has already been read'));
      if (s.body !== null) s.used = true;
      return PromiseCtor.resolve(s.body === null ? new U8(0) : s.body);
    }
    const methods = {
      get bodyUsed() {
        return state(this).used;
      },
      text() {
        return consume(this).then((b) => codec.utf8Decode(b));
      },
      json() {
        return consume(this).then((b) => parse(codec.utf8Decode(b)));
      },
      arrayBuffer() {
        return consume(this).then((b) => b.slice().buffer);
      },
      bytes() {
        return consume(this).then((b) => b.slice());
      },
      blob() {
        if (typeof g.Blob !== 'function') return PromiseCtor.reject(new TypeError('Blob is not available in the Verge sandbox; use arrayBuffer()'));
        const s = state(this);
        return consume(this).then((b) => new g.Blob([b], { type: s.headers.get('content-type') ?? '' }));
      },
      formData() {
        return PromiseCtor.reject(new TypeError('formData() is not supported in the Verge sandbox'));
      },
    };
    const names = ['bodyUsed', 'text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData'];
    for (let i = 0; i < names.length; i++) defineProperty(Class.prototype, names[i], { ...Object.getOwnPropertyDescriptor(methods, names[i]), enumerable: true });
  }

  // ---- AbortController / AbortSignal (DOM §3.1) ----

  class AbortSignal {
    #aborted = false;
    #reason = undefined;
    #listeners = [];
    onabort = null;

    constructor(token) {
      if (token !== INTERNAL) throw new TypeError('Illegal constructor');
    }

    get aborted() {
      return this.#aborted;
    }

    get reason() {
      return this.#reason;
    }

    throwIfAborted() {
      if (this.#aborted) throw this.#reason;
    }

    addEventListener(type, listener, options) {
      if (type !== 'abort' || (typeof listener !== 'function' && (listener === null || typeof listener !== 'object'))) return;
      const once = options !== null && typeof options === 'object' && options.once === true;
      for (let i = 0; i < this.#listeners.length; i++) if (this.#listeners[i].listener === listener) return;
      ArrayPush(this.#listeners, { listener, once });
    }

    removeEventListener(type, listener) {
      if (type !== 'abort') return;
      this.#listeners = this.#listeners.filter((l) => l.listener !== listener);
    }

    static [INTERNAL](signal, reason) {
      if (signal.#aborted) return;
      signal.#aborted = true;
      signal.#reason = reason === undefined ? DOMError('This operation was aborted', 'AbortError') : reason;
      const event = { type: 'abort', target: signal, currentTarget: signal };
      const listeners = signal.#listeners;
      signal.#listeners = [];
      if (typeof signal.onabort === 'function') FunctionCall(signal.onabort, signal, event);
      for (let i = 0; i < listeners.length; i++) {
        const l = listeners[i].listener;
        if (typeof l === 'function') FunctionCall(l, signal, event);
        else if (typeof l.handleEvent === 'function') FunctionCall(l.handleEvent, l, event);
      }
    }

    static abort(reason) {
      const s = new AbortSignal(INTERNAL);
      signalAbort(s, reason);
      return s;
    }

    /** Aborts with a TimeoutError after `ms`: a timer of the invocation, bounded by its deadline. */
    static timeout(ms) {
      const s = new AbortSignal(INTERNAL);
      setTimeoutFn(() => signalAbort(s, DOMError('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return s;
    }

    static any(signals) {
      const s = new AbortSignal(INTERNAL);
      for (const other of signals) {
        if (!(other instanceof AbortSignal)) throw new TypeError('AbortSignal.any: every item must be an AbortSignal');
        if (other.aborted) {
          signalAbort(s, other.reason);
          return s;
        }
      }
      for (const other of signals) other.addEventListener('abort', () => signalAbort(s, other.reason));
      return s;
    }

    get [toStringTag]() {
      return 'AbortSignal';
    }
  }
  const signalAbort = AbortSignal[INTERNAL];

  class AbortController {
    #signal = new AbortSignal(INTERNAL);

    get signal() {
      return this.#signal;
    }

    abort(reason) {
      signalAbort(this.#signal, reason);
    }

    get [toStringTag]() {
      return 'AbortController';
    }
  }

  // ---- Request (Fetch §5.4) ----

  function parseURL(input, what) {
    const s = String(input);
    const URL = URLCtor();
    if (URL !== undefined) {
      try {
        return new URL(s).href;
      } catch {
        throw new TypeError('Failed to parse URL from ' + s);
      }
    }
    if (!RegExpTest(/^[A-Za-z][A-Za-z0-9+.-]*:/, s)) throw new TypeError('Failed to parse URL from ' + s + ' (' + what + ' needs an absolute URL)');
    return s;
  }

  const requestState = new WeakMap();
  const getRequestState = (r) => {
    const s = requestState.get(r);
    if (s === undefined) throw new TypeError('Illegal invocation');
    return s;
  };

  class Request {
    constructor(input, init) {
      if (init === undefined || init === null) init = {};
      let s;
      if (input instanceof Request) {
        const src = getRequestState(input);
        if (src.used) throw new TypeError('Cannot construct a Request with a Request whose body has already been used');
        s = { url: src.url, method: src.method, headers: new Headers(src.headers), body: src.body, used: false, redirect: src.redirect, signal: src.signal };
        if (src.body !== null && init.body === undefined) src.used = true;
      } else {
        s = { url: parseURL(input, 'Request'), method: 'GET', headers: new Headers(), body: null, used: false, redirect: 'follow', signal: null };
      }
      if (init.method !== undefined) {
        const m = String(init.method);
        if (!RegExpTest(TOKEN, m)) throw new TypeError("'" + m + "' is not a valid HTTP method");
        const upper = StringToUpperCase(m);
        if (FORBIDDEN_METHOD.includes(upper)) throw new TypeError("'" + m + "' HTTP method is unsupported");
        s.method = NORMALIZED_METHOD.includes(upper) ? upper : m;
      }
      if (init.headers !== undefined) s.headers = new Headers(init.headers);
      if (init.redirect !== undefined) {
        const r = String(init.redirect);
        if (r !== 'follow' && r !== 'manual' && r !== 'error') throw new TypeError("Failed to construct 'Request': '" + r + "' is not a valid RequestRedirect");
        s.redirect = r;
      }
      if (init.signal !== undefined) {
        if (init.signal !== null && !(init.signal instanceof AbortSignal)) throw new TypeError("Failed to construct 'Request': member signal is not of type AbortSignal");
        s.signal = init.signal;
      }
      if (init.body !== undefined && init.body !== null) {
        if (s.method === 'GET' || s.method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
        const [bytes, type] = extractBody(init.body);
        s.body = bytes;
        if (type !== null && !s.headers.has('content-type')) s.headers.append('content-type', type);
      } else if (init.body === null) {
        s.body = null;
      }
      if (s.signal === null) s.signal = new AbortSignal(INTERNAL);
      requestState.set(this, s);
    }

    get url() {
      return getRequestState(this).url;
    }
    get method() {
      return getRequestState(this).method;
    }
    get headers() {
      return getRequestState(this).headers;
    }
    get redirect() {
      return getRequestState(this).redirect;
    }
    get signal() {
      return getRequestState(this).signal;
    }
    get body() {
      return null;
    }

    clone() {
      const s = getRequestState(this);
      if (s.used) throw new TypeError('Request.clone: Body has already been used');
      return new Request(this);
    }

    get [toStringTag]() {
      return 'Request';
    }
  }
  bodyMixin(Request, getRequestState);

  // ---- Response (Fetch §5.5) ----

  const responseState = new WeakMap();
  const getResponseState = (r) => {
    const s = responseState.get(r);
    if (s === undefined) throw new TypeError('Illegal invocation');
    return s;
  };

  function initResponse(self, body, init, extra) {
    if (init === undefined || init === null) init = {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!(status >= 200 && status <= 599) || status !== Math.trunc(status)) throw new RangeError("Failed to construct 'Response': The status provided (" + init.status + ') is outside the range [200, 599].');
    const statusText = init.statusText === undefined ? '' : String(init.statusText);
    if (RegExpTest(BAD_VALUE, statusText)) throw new TypeError("Failed to construct 'Response': Invalid statusText");
    const headers = new Headers(init.headers);
    let bytes = null;
    if (body !== undefined && body !== null) {
      if (NULL_BODY_STATUS.includes(status)) throw new TypeError("Failed to construct 'Response': Response with null body status cannot have body");
      const [b, type] = extractBody(body);
      bytes = b;
      if (type !== null && !headers.has('content-type')) headers.append('content-type', type);
    }
    responseState.set(self, { status, statusText, headers, body: bytes, used: false, type: 'default', url: '', redirected: false, ...extra });
  }

  class Response {
    constructor(body, init) {
      if (init !== INTERNAL) initResponse(this, body, init, {});
    }

    static [INTERNAL](fields) {
      const r = new Response(null, INTERNAL);
      responseState.set(r, fields);
      return r;
    }

    static json(data, init) {
      const text = stringify(data);
      if (text === undefined) throw new TypeError('Response.json: the data is not JSON-serialisable');
      const r = new Response(null, INTERNAL);
      initResponse(r, text, init, {});
      const h = getResponseState(r).headers;
      if (!h.has('content-type') || h.get('content-type') === 'text/plain;charset=UTF-8') h.set('content-type', 'application/json');
      return r;
    }

    static redirect(url, status) {
      const code = status === undefined ? 302 : Number(status);
      if (!REDIRECT_STATUS.includes(code)) throw new RangeError('Invalid status code ' + status);
      const r = new Response(null, INTERNAL);
      responseState.set(r, { status: code, statusText: '', headers: makeHeaders([['location', parseURL(url, 'Response.redirect')]], true), body: null, used: false, type: 'default', url: '', redirected: false });
      return r;
    }

    static error() {
      const r = new Response(null, INTERNAL);
      responseState.set(r, { status: 0, statusText: '', headers: makeHeaders([], true), body: null, used: false, type: 'error', url: '', redirected: false });
      return r;
    }

    get status() {
      return getResponseState(this).status;
    }
    get ok() {
      const s = getResponseState(this).status;
      return s >= 200 && s <= 299;
    }
    get statusText() {
      return getResponseState(this).statusText;
    }
    get headers() {
      return getResponseState(this).headers;
    }
    get type() {
      return getResponseState(this).type;
    }
    get url() {
      return getResponseState(this).url;
    }
    get redirected() {
      return getResponseState(this).redirected;
    }
    get body() {
      return null;
    }

    clone() {
      const s = getResponseState(this);
      if (s.used) throw new TypeError('Response.clone: Body has already been consumed.');
      return makeResponse({ ...s, headers: new Headers(s.headers), body: s.body === null ? null : s.body.slice() });
    }

    get [toStringTag]() {
      return 'Response';
    }
  }
  bodyMixin(Response, getResponseState);
  const makeResponse = Response[INTERNAL];
  delete Response[INTERNAL];
  delete Headers[INTERNAL];
  delete AbortSignal[INTERNAL];

  // ---- fetch (Fetch §5.6) ----

  function fetch(input, init) {
    let request;
    try {
      request = new Request(input, init);
    } catch (err) {
      return PromiseCtor.reject(err);
    }
    const s = getRequestState(request);
    if (s.signal.aborted) return PromiseCtor.reject(s.signal.reason);
    if (s.body !== null) s.used = true;
    const args = { url: s.url, method: s.method, headers: headerList(s.headers), redirect: s.redirect };
    const { id, promise } = ops.start('fetch', args, s.body === null ? [] : [s.body]);
    return new PromiseCtor((resolve, reject) => {
      const onAbort = () => {
        ops.cancel(id);
        reject(s.signal.reason);
      };
      s.signal.addEventListener('abort', onAbort);
      promise.then(
        (r) => {
          s.signal.removeEventListener('abort', onAbort);
          const m = r.json;
          const list = [];
          for (let i = 0; i + 1 < m.headers.length; i += 2) ArrayPush(list, [StringToLowerCase(m.headers[i]), m.headers[i + 1]]);
          resolve(
            makeResponse({
              status: m.status,
              statusText: m.statusText,
              headers: makeHeaders(list, true),
              body: r.bytes === undefined ? null : new U8(r.bytes),
              used: false,
              type: 'basic',
              url: m.url,
              redirected: m.redirected,
            }),
          );
        },
        (err) => {
          s.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  return { fetch, Request, Response, Headers, AbortController, AbortSignal };
}
