import { afterAll, describe, expect, test } from 'vitest';
import { createFunctionVersion, type FunctionVersion } from '../../src/runtime/function-version.ts';
import { FunctionRuntime } from '../../src/runtime/function-runtime.ts';
import { decodeResult, encodeEvent } from '../../src/pipeline/cf-wire.ts';
import type { EdgeRequest, EdgeResponse } from '../../src/pipeline/edge-message.ts';
import type { CfCustomOrigin } from '../../src/pipeline/cf-types.ts';
import type { EventType } from '../../src/config/types.ts';
import { functionConfig } from '../../src/config/function-config.ts';

// The isolate wire (pipeline/cf-wire.ts, lambda-edge.isolate.js): an event's scalars cross as lines,
// or as JSON when one holds a newline; an origin event's origin is parsed once per isolate and copied
// per event; a result that keeps the event's origin unchanged leaves it out.

const runtime = new FunctionRuntime({ maxWarmIsolates: 16, syncSliceMs: 50, spareIsolates: 0 });
afterAll(() => runtime.close());
let seq = 0;

function version(code: string): FunctionVersion {
  const name = `wire-${++seq}`;
  return createFunctionVersion(functionConfig({ name, codePath: `/var/task/${name}.js`, memoryMb: 128, timeoutMs: 1000 }), code);
}

const ORIGIN: CfCustomOrigin = Object.freeze({
  customHeaders: Object.freeze({ 'x-origin-key': Object.freeze([Object.freeze({ key: 'X-Origin-Key', value: 'abc' })]) }),
  domainName: 'origin.example',
  keepaliveTimeout: 5,
  path: '/base',
  port: 8081,
  protocol: 'http',
  readTimeout: 30,
  sslProtocols: Object.freeze(['TLSv1.2']),
}) as unknown as CfCustomOrigin;

function request(overrides: Partial<EdgeRequest> = {}): EdgeRequest {
  return { clientIp: '203.0.113.9', method: 'GET', uri: '/a/b.html', querystring: 'x=1&y=2', headers: ['Host', 'site.example', 'Accept', '*/*'], ...overrides };
}

async function payloadOf(v: FunctionVersion, eventType: EventType, req: EdgeRequest, res?: EdgeResponse, requestId = 'req-wire'): Promise<string> {
  const event = encodeEvent(eventType, { id: 'EDIST', domainName: 'd.example' }, requestId, Date.now() + 1000, req, res);
  const outcome = await runtime.invoke({ version: v, event, requestId, onConsole: () => undefined });
  if (!outcome.result.ok) throw new Error(JSON.stringify(outcome.result.error));
  return outcome.result.value;
}

async function invoke(v: FunctionVersion, eventType: EventType, req: EdgeRequest, res?: EdgeResponse, requestId = 'req-wire') {
  return decodeResult(await payloadOf(v, eventType, req, res, requestId));
}

/** Answers with the whole event as the body of a generated response (a request hook may generate one). */
const ECHO = `exports.handler = async (event) => ({ status: '200', body: JSON.stringify(event) });`;

async function echo(eventType: EventType, req: EdgeRequest, res?: EdgeResponse) {
  const result = await invoke(version(ECHO), eventType, req, res);
  return JSON.parse(result.scalars.body as string).Records[0].cf;
}

describe('event scalars', () => {
  test('every scalar of an origin-request event arrives in place, the body and the origin included', async () => {
    const body = { action: 'read-only', data: 'aGk=', encoding: 'base64', inputTruncated: false } as const;
    const cf = await echo('origin-request', request({ body, origin: ORIGIN }));
    expect(cf.config).toEqual({ distributionDomainName: 'd.example', distributionId: 'EDIST', eventType: 'origin-request', requestId: 'req-wire' });
    expect(cf.request).toEqual({
      clientIp: '203.0.113.9',
      headers: { host: [{ key: 'Host', value: 'site.example' }], accept: [{ key: 'Accept', value: '*/*' }] },
      method: 'GET',
      querystring: 'x=1&y=2',
      uri: '/a/b.html',
      body,
      origin: { custom: JSON.parse(JSON.stringify(ORIGIN)) },
    });
    expect(cf.response).toBeUndefined();
  });

  test('a response event carries its status and description; an empty description stays a string', async () => {
    const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.response; r.headers['x-seen'] = [{ key: 'X-Seen', value: JSON.stringify([r.status, r.statusDescription]) }]; return r; };`);
    for (const [status, statusDescription] of [['404', 'Not Found'], ['200', '']] as const) {
      const result = await invoke(v, 'viewer-response', request(), { status, statusDescription, headers: ['Content-Type', 'text/plain'] });
      expect(result.headers.slice(-2)).toEqual(['X-Seen', JSON.stringify([status, statusDescription])]);
      expect(result.scalars).toMatchObject({ t: 'S', status, statusDescription });
    }
  });

  test('a uri or querystring holding a newline crosses as JSON and arrives unchanged', async () => {
    const cf = await echo('origin-request', request({ uri: '/line\none', querystring: 'q=a\nb', origin: ORIGIN }));
    expect(cf.request.uri).toBe('/line\none');
    expect(cf.request.querystring).toBe('q=a\nb');
    expect(cf.request.origin.custom.path).toBe('/base');
    expect(cf.config.requestId).toBe('req-wire');
  });

  test('fields JSON leaves out (undefined, functions) are left out of the result, which stays valid JSON', async () => {
    const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; r.querystring = undefined; r.uri = () => 1; return r; };`);
    const result = await invoke(v, 'viewer-request', request());
    expect(result.scalars).toEqual({ t: 'Q', method: 'GET', h: 2 });
  });
});

describe('result scalars', () => {
  const RESPONSE: EdgeResponse = { status: '200', statusDescription: 'OK', headers: ['Content-Type', 'text/plain'] };

  test('a request whose scalars are strings without newlines, or absent, goes as lines and reads back the same', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      [`r.uri = '/new'; r.querystring = 'a=1&b=%0A';`, { t: 'Q', h: 2, uri: '/new', querystring: 'a=1&b=%0A', method: 'GET' }],
      [`r.querystring = undefined; r.uri = '';`, { t: 'Q', h: 2, uri: '', method: 'GET' }],
      [`r.uri = 'u'; r.querystring = 's';`, { t: 'Q', h: 2, uri: 'u', querystring: 's', method: 'GET' }],
      [`r.headers['x-added'] = [{ key: 'X-Added', value: '' }];`, { t: 'Q', h: 2, uri: '/a/b.html', querystring: 'x=1&y=2', method: 'GET' }],
    ];
    for (const [change, scalars] of cases) {
      const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; ${change} return r; };`);
      const payload = await payloadOf(v, 'viewer-request', request());
      expect(payload.startsWith('Q\n'), change).toBe(true);
      const result = decodeResult(payload);
      expect(JSON.parse(JSON.stringify(result.scalars)), change).toEqual(scalars);
    }
    const added = await invoke(version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; r.headers['x-added'] = [{ key: 'X-Added', value: '' }]; return r; };`), 'viewer-request', request());
    expect(added.headers).toEqual(['X-Added', '']);
  });

  test('a scalar holding a newline, a non-string one, or a body sends the scalars as JSON', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      [`r.uri = '/a\\nb';`, { uri: '/a\nb' }],
      [`r.querystring = 7;`, { querystring: 7 }],
      [`r.method = null;`, { method: null }],
    ];
    for (const [change, scalars] of cases) {
      const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; ${change} return r; };`);
      const payload = await payloadOf(v, 'viewer-request', request());
      expect(payload[0], change).toBe('{');
      expect(decodeResult(payload).scalars, change).toMatchObject({ t: 'Q', h: 2, ...scalars });
    }
  });

  test('a response goes as lines with a string status and no body, as JSON otherwise', async () => {
    const lines = await payloadOf(version(`exports.handler = async (event) => { const r = event.Records[0].cf.response; r.statusDescription = undefined; return r; };`), 'origin-response', request(), RESPONSE);
    expect(lines.startsWith('S\n')).toBe(true);
    expect(JSON.parse(JSON.stringify(decodeResult(lines).scalars))).toEqual({ t: 'S', h: 1, status: '200' });
    for (const change of [`r.status = 200;`, `r.body = 'new';`, `r.statusDescription = 'a\\nb';`]) {
      const payload = await payloadOf(version(`exports.handler = async (event) => { const r = event.Records[0].cf.response; ${change} return r; };`), 'origin-response', request(), RESPONSE);
      expect(payload[0], change).toBe('{');
      expect(decodeResult(payload).scalars.t, change).toBe('S');
    }
  });
});

describe('the origin of origin events', () => {
  const PASS = `exports.handler = async (event) => event.Records[0].cf.request;`;

  test('an origin-request result that keeps the origin unchanged leaves it out', async () => {
    const result = await invoke(version(PASS), 'origin-request', request({ origin: ORIGIN }));
    expect(result.scalars.origin).toBeUndefined();
  });

  test('a changed origin is sent, whichever way it changed', async () => {
    const changes = [
      `o.custom.path = '/other';`,
      `o.custom.customHeaders['x-more'] = [{ key: 'X-More', value: '1' }];`,
      `o.custom.sslProtocols.push('TLSv1.3');`,
      `o.custom.extra = 1;`,
      `r.origin = { custom: { ...o.custom, domainName: 'elsewhere.example' } };`,
      `r.origin = { s3: { domainName: 'bucket.s3.amazonaws.com', path: '', authMethod: 'none', region: 'us-east-1', customHeaders: {} } };`,
    ];
    for (const change of changes) {
      const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; const o = r.origin; ${change} return r; };`);
      const result = await invoke(v, 'origin-request', request({ origin: ORIGIN }));
      expect(result.scalars.origin, change).toBeDefined();
      expect(result.scalars.origin, change).not.toEqual({ custom: JSON.parse(JSON.stringify(ORIGIN)) });
    }
  });

  test('an equal origin in a new object is sent as it is', async () => {
    const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; r.origin = JSON.parse(JSON.stringify(r.origin)); return r; };`);
    const result = await invoke(v, 'origin-request', request({ origin: ORIGIN }));
    expect(result.scalars.origin).toEqual({ custom: JSON.parse(JSON.stringify(ORIGIN)) });
  });

  test('each event gets its own copy: a change made by one call is not seen by the next in the same isolate', async () => {
    const v = version(`exports.handler = async (event) => {
      const r = event.Records[0].cf.request;
      r.headers['x-path-seen'] = [{ key: 'X-Path-Seen', value: r.origin.custom.path + ' ' + r.origin.custom.sslProtocols.length }];
      r.origin.custom.path = '/changed';
      r.origin.custom.sslProtocols.push('TLSv1.3');
      r.origin.custom.customHeaders['x-origin-key'][0].value = 'changed';
      return r;
    };`);
    for (let i = 0; i < 3; i++) {
      const result = await invoke(v, 'origin-request', request({ origin: ORIGIN }), undefined, `req-${i}`);
      expect(result.headers.slice(-2)).toEqual(['X-Path-Seen', '/base 1']);
      expect(result.scalars.origin).toMatchObject({ custom: { path: '/changed', customHeaders: { 'x-origin-key': [{ key: 'X-Origin-Key', value: 'changed' }] } } });
    }
  });

  test('a different origin after the first is read afresh', async () => {
    const v = version(`exports.handler = async (event) => { const r = event.Records[0].cf.request; r.headers['x-domain'] = [{ key: 'X-Domain', value: r.origin.custom.domainName }]; return r; };`);
    const other = Object.freeze({ ...ORIGIN, domainName: 'other.example' }) as CfCustomOrigin;
    for (const [origin, domain] of [[ORIGIN, 'origin.example'], [other, 'other.example'], [ORIGIN, 'origin.example']] as const) {
      const result = await invoke(v, 'origin-request', request({ origin }));
      expect(result.headers.slice(-2)).toEqual(['X-Domain', domain]);
      expect(result.scalars.origin).toBeUndefined();
    }
  });

  test('a custom header named __proto__ is an own property of the copy and leaves Object.prototype alone', async () => {
    const origin = Object.freeze({ ...ORIGIN, customHeaders: JSON.parse('{"__proto__":[{"key":"__proto__","value":"p"}]}') }) as CfCustomOrigin;
    const v = version(`exports.handler = async (event) => {
      const r = event.Records[0].cf.request;
      const h = r.origin.custom.customHeaders;
      r.headers['x-proto'] = [{ key: 'X-Proto', value: [Object.hasOwn(h, '__proto__'), Array.isArray(h.__proto__), Object.getPrototypeOf(h) === Object.prototype, ({}).key === undefined].join(',') }];
      return r;
    };`);
    for (let i = 0; i < 2; i++) {
      const result = await invoke(v, 'origin-request', request({ origin }));
      expect(result.headers.slice(-2)).toEqual(['X-Proto', 'true,true,true,true']);
      expect(result.scalars.origin).toBeUndefined();
    }
  });
});
