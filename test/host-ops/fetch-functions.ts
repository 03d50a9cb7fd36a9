// Function sources for fetch.test.ts: each answers with a JSON body describing what it saw, so the test
// can assert the isolate's view of the subrequest as well as the origin's.

/** The common tail: a 200 JSON answer generated at the edge. */
const OUT = `const out = (o) => ({ status: '200', headers: { 'content-type': [{ key: 'Content-Type', value: 'application/json' }] }, body: JSON.stringify(o) });`;

/** One function, one case per path; `origin` is the test origin's base URL. */
export function casesFunction(origin: string): string {
  return `'use strict';
${OUT}
const ORIGIN = ${JSON.stringify(origin)};
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const CASES = {
  async '/get-json'() {
    const r = await fetch(ORIGIN + '/json', { headers: { 'X-From-Function': 'yes', Accept: 'application/json' } });
    const body = await r.json();
    return { status: r.status, ok: r.ok, statusText: r.statusText, body, type: r.headers.get('CONTENT-TYPE'),
      origin: r.headers.get('x-origin'), cookies: r.headers.getSetCookie(), url: r.url, redirected: r.redirected, bodyUsed: r.bodyUsed };
  },
  async '/post-echo'() {
    const r = await fetch(new Request(ORIGIN + '/echo', { method: 'post', body: 'héllo ✓', headers: [['X-Custom', 'a'], ['x-custom', 'b']] }));
    return { status: r.status, echoed: await r.text(), len: r.headers.get('x-length') };
  },
  async '/post-json'() {
    const r = await fetch(ORIGIN + '/echo', { method: 'PUT', body: JSON.stringify({ n: 1 }), headers: { 'content-type': 'application/json' } });
    return { echoed: await r.json(), type: r.headers.get('x-type') };
  },
  async '/binary'() {
    const bytes = new Uint8Array(256);
    for (let i = 0; i < 256; i++) bytes[i] = 255 - i;
    const sent = await fetch(ORIGIN + '/echo', { method: 'POST', body: bytes });
    const got = await fetch(ORIGIN + '/binary');
    const buf = await got.arrayBuffer();
    return { echoed: hex(await sent.arrayBuffer()), fetched: hex(buf), size: buf.byteLength };
  },
  async '/redirect-follow'() {
    const r = await fetch(ORIGIN + '/redirect');
    return { status: r.status, redirected: r.redirected, url: r.url, body: await r.json() };
  },
  async '/redirect-manual'() {
    const r = await fetch(ORIGIN + '/redirect', { redirect: 'manual' });
    return { status: r.status, location: r.headers.get('location'), redirected: r.redirected };
  },
  async '/redirect-error'() {
    try {
      await fetch(ORIGIN + '/redirect', { redirect: 'error' });
      return { rejected: false };
    } catch (err) {
      return { rejected: true, name: err.name };
    }
  },
  async '/abort'() {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    try {
      await fetch(ORIGIN + '/hang', { signal: controller.signal });
      return { rejected: false };
    } catch (err) {
      return { rejected: true, name: err.name, aborted: controller.signal.aborted, waitedMs: Date.now() - started };
    }
  },
  async '/abort-timeout'() {
    try {
      await fetch(ORIGIN + '/hang', { signal: AbortSignal.timeout(50) });
      return { rejected: false };
    } catch (err) {
      return { rejected: true, name: err.name };
    }
  },
  async '/limit'() {
    let fulfilled = 0;
    const errors = [];
    for (let i = 0; i < 51; i++) {
      try {
        await (await fetch(ORIGIN + '/count')).text();
        fulfilled++;
      } catch (err) {
        errors.push(err.constructor.name + ': ' + err.message);
      }
    }
    return { fulfilled, errors };
  },
  async '/network-error'() {
    try {
      await fetch('http://127.0.0.1:1/');
      return { rejected: false };
    } catch (err) {
      return { rejected: true, isTypeError: err instanceof TypeError, message: err.message, hasCause: err.cause instanceof Error };
    }
  },
  async '/bad-url'() {
    try {
      await fetch('/relative');
      return { rejected: false };
    } catch (err) {
      return { rejected: true, isTypeError: err instanceof TypeError };
    }
  },
  async '/uncaught'() {
    await fetch('http://127.0.0.1:1/');
  },
  async '/too-large'() {
    try {
      await fetch(ORIGIN + '/large');
      return { rejected: false };
    } catch (err) {
      return { rejected: true, isTypeError: err instanceof TypeError, message: err.message };
    }
  },
  async '/globals'() {
    // Replacing a global before first use keeps the replacement; the others still work.
    globalThis.Headers = 'mine';
    const r = await fetch(ORIGIN + '/json');
    const proto = Object.getPrototypeOf(r);
    const leaks = [];
    for (const v of [fetch, Response, r, r.headers, proto, crypto.subtle, new AbortController().signal]) {
      // Every reachable constructor chain ends in this isolate's own Function.
      if (v.constructor.constructor !== Function) leaks.push(String(v));
    }
    return {
      headers: globalThis.Headers,
      fetchType: typeof fetch,
      enumerable: Object.keys(globalThis).filter((k) => ['fetch', 'Request', 'Response', 'AbortController'].includes(k)),
      // Once read, a global is a plain writable property, as in Node.
      ownNames: ['fetch', 'Response', 'CryptoKey'].map((k) => typeof globalThis[k] === 'function' && Object.getOwnPropertyDescriptor(globalThis, k).writable),
      sameClass: r instanceof Response,
      leaks,
      ivm: typeof ivm,
    };
  },
  async '/forget'() {
    // Never awaited: the host aborts it when the invocation ends, and its promise never settles later.
    globalThis.forgotten = fetch(ORIGIN + '/hang').then(() => 'settled', () => 'rejected');
    return { returned: true };
  },
  async '/after-forget'() {
    let state = 'pending';
    if (globalThis.forgotten) globalThis.forgotten.then((v) => { state = v; });
    await new Promise((r) => setTimeout(r, 20));
    return { state, json: await (await fetch(ORIGIN + '/json')).json() };
  },
  async '/api'() {
    const h = new Headers({ 'Content-Type': 'text/plain' });
    h.append('X-A', '1');
    h.append('x-a', '2');
    h.append('Set-Cookie', 'a=1');
    h.append('set-cookie', 'b=2');
    const seen = [];
    h.forEach((v, k) => seen.push(k + '=' + v));
    const res = Response.json({ a: 1 }, { status: 201, headers: { 'X-Y': 'z' } });
    const clone = res.clone();
    const text = await res.text();
    let reread;
    try { await res.text(); } catch (err) { reread = err.name; }
    const redirect = Response.redirect('https://example.com/next', 301);
    const req = new Request('https://example.com/a?b=1', { method: 'delete', headers: { Authorization: 'x' } });
    const copy = new Request(req, { method: 'PATCH', body: 'x' });
    let badStatus, getBody;
    try { new Response('x', { status: 99 }); } catch (err) { badStatus = err.name; }
    try { new Request('https://example.com', { body: 'x' }); } catch (err) { getBody = err.name; }
    return {
      get: h.get('x-a'), has: h.has('CONTENT-TYPE'), entries: [...h], seen, setCookie: h.getSetCookie(),
      status: res.status, ok: res.ok, type: res.headers.get('content-type'), y: res.headers.get('x-y'), text, reread,
      cloneJson: await clone.json(), bodyUsed: res.bodyUsed,
      redirect: [redirect.status, redirect.headers.get('location')],
      req: [req.method, req.url, req.headers.get('authorization'), req.redirect, req.signal.aborted],
      copy: [copy.method, copy.url, await copy.text()],
      empty: await new Response(null, { status: 204 }).text(),
      bytes: [...(await new Response(new Uint8Array([1, 2, 3])).bytes())],
      badStatus, getBody,
      tags: [String(h), String(res), String(new AbortController().signal)],
    };
  },
};
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const run = CASES[request.uri];
  if (run === undefined) return request;
  return out(await run());
};
`;
}

/** Hangs on a fetch that never answers: the deadline must end it (and only the /hang path does). */
export function hangFunction(origin: string): string {
  return `'use strict';
${OUT}
exports.handler = async (event) => {
  const uri = event.Records[0].cf.request.uri;
  if (uri === '/timeout/hang') await fetch(${JSON.stringify(origin)} + '/hang');
  return out({ fine: true, uri });
};
`;
}

/** Burns 80 ms of CPU before fetching: too slow for the sync slice, so it runs on the thread pool. */
export function slowFunction(origin: string): string {
  return `'use strict';
${OUT}
exports.handler = async () => {
  const until = Date.now() + 80;
  while (Date.now() < until) {}
  const r = await fetch(${JSON.stringify(origin)} + '/json');
  const digest = await crypto.subtle.digest('SHA-1', new Uint8Array(0));
  return out({ body: await r.json(), digestBytes: digest.byteLength });
};
`;
}

/** Makes three fetches under maxSubrequests: 2. */
export function limitedFunction(origin: string): string {
  return `'use strict';
${OUT}
exports.handler = async () => {
  const results = [];
  for (let i = 0; i < 3; i++) {
    try { await fetch(${JSON.stringify(origin)} + '/count'); results.push('ok'); } catch (err) { results.push(err.name); }
  }
  return out({ results });
};
`;
}

/** The same fetch from an ES module handler. */
export function esmFunction(origin: string): string {
  return `export const handler = async (event) => {
  const r = await fetch(${JSON.stringify(origin)} + '/json');
  const { hello } = await r.json();
  return { status: '200', body: JSON.stringify({ hello, module: typeof module }) };
};
`;
}
