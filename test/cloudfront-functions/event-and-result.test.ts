import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Each function runs at viewer-request (or viewer-response) on its own path: /<name>/…
const REQUEST_FUNCTIONS: Record<string, string> = {
  // Echoes the whole event to the origin as JSON.
  echo: `function handler(event) { event.request.headers['x-event'] = { value: JSON.stringify(event) }; return event.request; }`,
  // Assigning the read-only method is ignored in sloppy code; the request keeps its method.
  method: `function handler(event) { var r = event.request; r.method = 'DELETE'; r.headers['x-method'] = { value: r.method }; return r; }`,
  // CloudFront's multiValue rule: a changed multiValue array applies as is; a changed value replaces the first only.
  multi: `function handler(event) {
    var r = event.request;
    r.headers['x-a'].multiValue = [{ value: 'one' }, { value: 'two' }, { value: 'three' }];
    r.headers['x-b'].value = 'first';
    r.querystring.q.multivalue = undefined;
    r.querystring.q.multiValue = [{ value: 'z' }];
    r.cookies.session = { value: 'new' };
    delete r.cookies.drop;
    return r;
  }`,
  upper: `function handler(event) { event.request.headers['X-Upper'] = { value: '1' }; return event.request; }`,
  disallowed: `function handler(event) { event.request.headers['x-forwarded-proto'] = { value: 'https' }; return event.request; }`,
  host: `function handler(event) { event.request.headers.host = { value: 'other.example' }; return event.request; }`,
  nothing: `function handler(event) { }`,
  generated: `function handler(event) {
    return { statusCode: 200, statusDescription: 'OK', headers: { 'content-type': { value: 'text/plain' } },
      cookies: { a: { value: '1', attributes: 'Path=/' }, b: { value: '2', multiValue: [{ value: '2' }, { value: '3', attributes: 'Secure' }] } },
      body: { encoding: 'base64', data: Buffer === undefined ? '' : 'aGVsbG8=' } };
  }`.replace("Buffer === undefined ? '' : ", ''),
  'string-body': `function handler(event) { return { statusCode: 403, body: 'denied' }; }`,
  'require-cloudfront': `var cf = require('cloudfront'); function handler(event) { event.request.headers['x-cf'] = { value: typeof cf.kvs + ' ' + typeof cf.updateRequestOrigin }; return event.request; }`,
};
const RESPONSE_FUNCTIONS: Record<string, string> = {
  status: `function handler(event) { var r = event.response; r.statusCode = 202; r.statusDescription = 'Accepted'; r.body = { data: 'replaced', encoding: 'text' }; r.headers['x-had'] = { value: Object.keys(r.cookies).join(',') + ' ' + event.context.eventType }; return r; }`,
  'via-change': `function handler(event) { event.response.headers.via = { value: 'changed' }; return event.response; }`,
};

describe('the CloudFront Functions event and result', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  beforeAll(async () => {
    origin = await startOrigin((_req, res) => {
      res.writeHead(200, ['Content-Type', 'text/plain', 'Set-Cookie', 'id=42; Path=/; Secure', 'Set-Cookie', 'other=x']);
      res.end('from origin');
    });
    const all = { ...REQUEST_FUNCTIONS, ...RESPONSE_FUNCTIONS };
    edge = await startEdge({
      distribution: { id: 'EDFDVBD6EXAMPLE', domainName: 'd111111abcdef8.cloudfront.net' },
      origins: [{ id: 'o', url: origin.url }],
      functions: Object.entries(all).map(([name, source]) => ({ name, code: functionFile(source), runtime: 'cloudfront-js-2.0', timeoutMs: 1000 })),
      behaviors: [
        ...Object.keys(REQUEST_FUNCTIONS).map((name) => ({ pathPattern: `/${name}/*`, originId: 'o', functions: { 'viewer-request': { name } } })),
        ...Object.keys(RESPONSE_FUNCTIONS).map((name) => ({ pathPattern: `/${name}/*`, originId: 'o', functions: { 'viewer-response': { name } } })),
        { pathPattern: '*', originId: 'o' },
      ],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  test('the event has CloudFront Functions\' shape: lowercase headers, cookies apart, maps of {value, multiValue}', async () => {
    await send(`${edge.url}/echo/x?a=1&a=2&b=&c`, { headers: ['Host', 'localhost', 'Accept', 'text/html', 'Accept', 'application/json', 'Cookie', 'k=v; k=w; z=1', 'X-Mixed-Case', 'yes'] });
    const event = JSON.parse(String(origin.seen.at(-1)!.headers['x-event']));
    expect(event.version).toBe('1.0');
    expect(event.context).toEqual({ distributionDomainName: 'd111111abcdef8.cloudfront.net', distributionId: 'EDFDVBD6EXAMPLE', eventType: 'viewer-request', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(event.viewer).toEqual({ ip: '127.0.0.1' });
    expect(event.request.method).toBe('GET');
    expect(event.request.uri).toBe('/echo/x');
    expect(event.request.querystring).toEqual({ a: { value: '1', multiValue: [{ value: '1' }, { value: '2' }] }, b: { value: '' }, c: { value: '' } });
    expect(event.request.headers.accept).toEqual({ value: 'text/html', multiValue: [{ value: 'text/html' }, { value: 'application/json' }] });
    expect(event.request.headers['x-mixed-case']).toEqual({ value: 'yes' });
    expect(event.request.headers.cookie).toBeUndefined();
    expect(event.request.cookies).toEqual({ k: { value: 'v', multiValue: [{ value: 'v' }, { value: 'w' }] }, z: { value: '1' } });
    expect(event.response).toBeUndefined();
  });

  test('method is read-only', async () => {
    const res = await send(`${edge.url}/method/`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(origin.seen.at(-1)!.method).toBe('GET');
    expect(origin.seen.at(-1)!.headers['x-method']).toBe('GET');
  });

  test('multiValue and value changes follow CloudFront\'s rule; cookies go back as one Cookie header', async () => {
    await send(`${edge.url}/multi/?q=1&q=2&r=3`, { headers: ['Host', 'localhost', 'X-A', '1', 'X-A', '2', 'X-B', 'b1', 'X-B', 'b2', 'Cookie', 'session=old; drop=me; keep=1'] });
    const seen = origin.seen.at(-1)!;
    expect(seen.headers['x-a']).toBe('one, two, three');
    expect(seen.headers['x-b']).toBe('first, b2');
    expect(seen.url).toBe('/multi/?q=z&r=3');
    expect(seen.headers.cookie).toBe('session=new; keep=1');
  });

  test('a header name that is not lowercase is a validation error (502 FunctionValidationError)', async () => {
    const res = await send(`${edge.url}/upper/`);
    expect(res.status).toBe(502);
    expect(res.headers['x-cache']).toBe('FunctionValidationError from verge');
  });

  test('adding a disallowed header, or changing the read-only Host, is a validation error', async () => {
    expect((await send(`${edge.url}/disallowed/`)).status).toBe(502);
    const res = await send(`${edge.url}/host/`);
    expect(res.status).toBe(502);
    const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === res.headers['x-verge-request-id']));
    expect(line.code).toBe('VERGE_ERR_CFF_INVALID_RESULT');
    expect(line.msg).toMatch(/the host header is read-only for viewer-request/);
  });

  test('a handler that returns nothing is a validation error', async () => {
    expect((await send(`${edge.url}/nothing/`)).status).toBe(502);
  });

  test('a generated response: base64 body {data, encoding}, cookies become Set-Cookie with their attributes', async () => {
    const res = await send(`${edge.url}/generated/`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello');
    expect(res.headers['x-cache']).toBe('FunctionGeneratedResponse from verge');
    expect(res.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2', 'b=3; Secure']);
    expect(res.rawHeaders).toContain('Content-Type');
  });

  test('a string body is text', async () => {
    const res = await send(`${edge.url}/string-body/`);
    expect(res.status).toBe(403);
    expect(res.text).toBe('denied');
  });

  test('require(\'cloudfront\') works as import does', async () => {
    await send(`${edge.url}/require-cloudfront/`);
    expect(origin.seen.at(-1)!.headers['x-cf']).toBe('function function');
  });

  test('viewer-response may change the status and replace the body; the origin\'s Set-Cookie show in cookies', async () => {
    const res = await send(`${edge.url}/status/`);
    expect(res.status).toBe(202);
    expect(res.statusMessage).toBe('Accepted');
    expect(res.text).toBe('replaced');
    expect(res.headers['x-had']).toBe('id,other viewer-response');
    expect(res.headers['set-cookie']).toEqual(['id=42; Path=/; Secure', 'other=x']);
  });

  test('changing the read-only Via in viewer-response is a validation error', async () => {
    const res = await send(`${edge.url}/via-change/`);
    expect(res.status).toBe(502);
    expect(res.headers['x-cache']).toBe('FunctionValidationError from verge');
  });
});

describe('names from the viewer cannot reach Object.prototype', () => {
  let origin: TestOrigin;
  let edge: TestEdge;
  beforeAll(async () => {
    origin = await startOrigin();
    const code = functionFile(`function handler(event) {
      var r = event.request;
      r.headers['x-polluted'] = { value: String(({}).multiValue !== undefined || ({}).value !== undefined) };
      r.headers['x-own'] = { value: Object.keys(r.querystring).join(',') + '|' + Object.keys(r.cookies).join(',') };
      return r;
    }`);
    edge = await startEdge({
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'f', code, runtime: 'cloudfront-js-2.0', timeoutMs: 1000 }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'f' } } }],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
  });

  test('__proto__ and constructor in the query string and cookies are plain names, and the next request sees a clean isolate', async () => {
    await send(`${edge.url}/?__proto__=1&__proto__=2&constructor=3`, { headers: { cookie: '__proto__=a; constructor=b; constructor=c' } });
    expect(origin.seen.at(-1)!.headers['x-own']).toBe('__proto__,constructor|__proto__,constructor');
    expect(origin.seen.at(-1)!.headers['x-polluted']).toBe('false');
    await send(`${edge.url}/`);
    expect(origin.seen.at(-1)!.headers['x-polluted']).toBe('false');
  });
});
