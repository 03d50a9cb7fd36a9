import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectErrorResponse, fn, requestIdOf } from '../helpers/cf-fixtures.ts';
import { validateRequestHookResult } from '../../src/pipeline/cf-result.ts';
import { eventually, send, startEdge, startOrigin, type RawResponse, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// CloudFront validates what a function returns ("Lambda@Edge function validation errors"): anything it
// would refuse answers the viewer 502 with `x-cache: LambdaValidationError`. Each function below picks
// its misbehaviour from the query string, so one edge node serves every case.

let origin: TestOrigin;
let edge: TestEdge;

const KB = 1024;
const MB = 1024 * 1024;

/** Function source: `cases[querystring](request-or-response)` decides what the hook returns. */
function caseTable(target: 'request' | 'response', cases: string): string {
  return `
    const set = (headers, name, value) => { headers[name.toLowerCase()] = [{ key: name, value }]; };
    const generated = (status, body, extra) => Object.assign({ status: String(status), headers: {} }, body === undefined ? {} : { body }, extra);
    const cases = {${cases}};
    exports.handler = async (event) => {
      const cf = event.Records[0].cf;
      const name = cf.request.querystring;
      const size = /^size-(\\d+)$/.exec(name);
      if (size) return generated(200, 'x'.repeat(Number(size[1])));
      const c = cases[name];
      if (c === undefined) return cf.${target};
      return c(cf.${target}, cf);
    };`;
}

const DISALLOWED = ['Connection', 'Expect', 'Keep-Alive', 'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Connection', 'Trailer', 'Upgrade', 'X-Accel-Foo', 'X-Amz-Cf-Foo', 'X-Amzn-Auth', 'X-Cache', 'X-Edge-Foo', 'X-Forwarded-Proto', 'X-Real-IP'];
const addDisallowed = DISALLOWED.map((h) => `'add-${h.toLowerCase()}': (x) => { set(x.headers, '${h}', 'v'); return x; },`).join('\n');

const REQUEST_CASES = `
  'string': () => 'not a request',
  'null': () => null,
  'number': () => 42,
  'array': () => [],
  'undefined': () => undefined,
  'circular': (r) => { r.self = r; return r; },
  'bigint': () => ({ status: 200n }),
  'headers-over-40k': () => ({ status: '200', headers: { 'x-big': [{ key: 'X-Big', value: 'h'.repeat(41 * 1024) }] } }),
  'status-199': () => generated(199),
  'status-600': () => generated(600),
  'status-text': () => generated('OK'),
  'status-204-with-body': () => generated(204, 'body'),
  'status-204-empty': () => generated(204),
  'bad-base64': () => generated(200, 'not base64!!', { bodyEncoding: 'base64' }),
  'bad-encoding': () => generated(200, 'x', { bodyEncoding: 'hex' }),
  'uri-relative': (r) => { r.uri = 'relative'; return r; },
  'method-changed': (r) => { r.method = 'DELETE'; return r; },
  'header-value-crlf': (r) => { set(r.headers, 'X-Inject', 'a\\r\\nX-Evil: 1'); return r; },
  'header-uppercase-key': (r) => { r.headers['X-Upper'] = [{ value: 'v' }]; return r; },
  'change-host': (r) => { set(r.headers, 'Host', 'other.example'); return r; },
  'add-via': (r) => { set(r.headers, 'Via', '1.1 someone'); return r; },
  'change-via': (r) => { set(r.headers, 'Via', '1.1 changed'); return r; },
  'change-content-length': (r) => { set(r.headers, 'Content-Length', '1'); return r; },
  'add-transfer-encoding': (r) => { set(r.headers, 'Transfer-Encoding', 'chunked'); return r; },
  'change-accept-encoding': (r) => { set(r.headers, 'Accept-Encoding', 'br'); return r; },
  'add-if-none-match': (r) => { set(r.headers, 'If-None-Match', '"abc"'); return r; },
  'remove-if-none-match': (r) => { delete r.headers['if-none-match']; return r; },
  'add-if-modified-since': (r) => { set(r.headers, 'If-Modified-Since', 'Wed, 21 Oct 2015 07:28:00 GMT'); return r; },
  'keep-read-only': (r) => { set(r.headers, 'X-Allowed', 'yes'); return r; },
  ${addDisallowed}
`;

const RESPONSE_CASES = `
  'string': () => 'not a response',
  'null': () => null,
  'status-600': (r) => { r.status = '600'; return r; },
  'status-changed': (r) => { r.status = '201'; return r; },
  'status-same-as-number': (r) => { r.status = 200; return r; },
  'bad-base64': (r) => { r.body = '%%%'; r.bodyEncoding = 'base64'; return r; },
  'add-via': (r) => { set(r.headers, 'Via', '1.1 someone'); return r; },
  'change-via': (r) => { set(r.headers, 'Via', '1.1 changed'); return r; },
  'remove-via': (r) => { delete r.headers.via; return r; },
  'add-transfer-encoding': (r) => { set(r.headers, 'Transfer-Encoding', 'chunked'); return r; },
  'add-warning': (r) => { set(r.headers, 'Warning', '110 - "stale"'); return r; },
  'add-allowed': (r) => { set(r.headers, 'X-Allowed', 'yes'); return r; },
  'body-size': (r, cf) => { r.body = 'x'.repeat(Number(cf.request.headers['x-size'][0].value)); return r; },
  ${addDisallowed}
`;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [fn('request-cases', caseTable('request', REQUEST_CASES)), fn('response-cases', caseTable('response', RESPONSE_CASES))],
    behaviors: [
      { pathPattern: '/viewer-request', originId: 'o', functions: { 'viewer-request': { name: 'request-cases' } } },
      // CachingDisabled: on a cacheable miss the cache fetches the full response without the viewer's
      // If-None-Match, so only a pass-through request shows origin-request the viewer's conditionals.
      { pathPattern: '/origin-request', originId: 'o', cachePolicy: 'CachingDisabled', functions: { 'origin-request': { name: 'request-cases' } } },
      { pathPattern: '/origin-response', originId: 'o', functions: { 'origin-response': { name: 'response-cases' } } },
      { pathPattern: '/viewer-response', originId: 'o', functions: { 'viewer-response': { name: 'response-cases' } } },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

function call(event: string, name: string, init: Parameters<typeof send>[1] = {}): Promise<RawResponse> {
  return send(`${edge.url}/${event}?${name}`, init);
}

/** 502 LambdaValidationError; with `reason`, the error log line of the request must give that reason. */
async function expectValidationError(res: RawResponse, reason?: string): Promise<void> {
  expect(res.status).toBe(502);
  expect(res.headers['x-cache']).toBe('LambdaValidationError from verge');
  expect(res.text).toContain('VERGE_ERR_FUNCTION_INVALID_RESULT');
  expect(res.text).toContain(requestIdOf(res));
  if (reason !== undefined) {
    const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === requestIdOf(res)));
    expect(line.msg).toContain(reason);
  }
}

describe('results that are not a request or a response', () => {
  test.each(['string', 'null', 'number', 'array', 'undefined'])('a viewer-request function returning %s answers 502', async (name) => {
    await expectValidationError(await call('viewer-request', name));
  });

  test.each(['string', 'null'])('an origin-response function returning %s answers 502', async (name) => {
    await expectValidationError(await call('origin-response', name));
  });

  // Verge reads only the fields CloudFront uses (it never serialises the whole result), so a cycle in
  // a field nobody reads cannot fail the request; a BigInt where a value is read still does.
  test('a circular reference outside the fields CloudFront reads does not fail the request', async () => {
    expect((await call('viewer-request', 'circular')).status).toBe(200);
  });

  test.each(['bigint'])('a result that cannot be serialised (%s) answers 502 and names the function in the log', async (name) => {
    await expectErrorResponse(edge, await call('viewer-request', name), {
      status: 502,
      cacheStatus: 'LambdaValidationError',
      code: 'VERGE_ERR_FUNCTION_INVALID_RESULT',
      fn: { name: 'request-cases', eventType: 'viewer-request' },
    });
  });

  test('a request with a uri that does not start with "/" answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'uri-relative'));
  });

  test('a request whose method was changed answers 502', async () => {
    await expectValidationError(await call('origin-request', 'method-changed'));
  });

  test('a viewer-request validation error does not reach the origin', async () => {
    const before = origin.seen.length;
    await expectValidationError(await call('viewer-request', 'null'));
    expect(origin.seen.length).toBe(before);
  });
});

describe('status', () => {
  test.each(['status-199', 'status-600', 'status-text'])('a generated response with %s answers 502', async (name) => {
    await expectValidationError(await call('viewer-request', name));
    await expectValidationError(await call('origin-request', name));
  });

  test('an origin-response function setting status 600 answers 502', async () => {
    await expectValidationError(await call('origin-response', 'status-600'));
  });

  test('a viewer-response function changing the status answers 502', async () => {
    await expectValidationError(await call('viewer-response', 'status-changed'));
  });

  test('a viewer-response function giving the same status as a number is accepted', async () => {
    const res = await call('viewer-response', 'status-same-as-number');
    expect(res.status).toBe(200);
  });

  test('an origin-response function may change the status', async () => {
    const res = await call('origin-response', 'status-changed');
    expect(res.status).toBe(201);
    expect(res.text).toBe('hello from origin');
  });
});

describe('disallowed headers', () => {
  test.each(DISALLOWED)('a viewer-request function adding %s answers 502', async (header) => {
    await expectValidationError(await call('viewer-request', `add-${header.toLowerCase()}`), `the ${header.toLowerCase()} header cannot be added`);
  });

  test.each(['Connection', 'X-Accel-Foo', 'X-Amz-Cf-Foo', 'X-Cache', 'X-Edge-Foo', 'X-Forwarded-Proto', 'X-Real-IP', 'Upgrade'])(
    'origin-request, origin-response and viewer-response functions adding %s answer 502',
    async (header) => {
      for (const event of ['origin-request', 'origin-response', 'viewer-response']) {
        await expectValidationError(await call(event, `add-${header.toLowerCase()}`), `the ${header.toLowerCase()} header cannot be added`);
      }
    },
  );

  test('adding an ordinary header passes in every event', async () => {
    expect((await call('viewer-request', 'keep-read-only')).status).toBe(200);
    expect(origin.seen.at(-1)!.headers['x-allowed']).toBe('yes');
    expect((await call('origin-request', 'keep-read-only')).status).toBe(200);
    expect((await call('origin-response', 'add-allowed')).headers['x-allowed']).toBe('yes');
    expect((await call('viewer-response', 'add-allowed')).headers['x-allowed']).toBe('yes');
  });
});

describe('malformed headers', () => {
  test('a header value with CR LF answers 502 instead of injecting a header', async () => {
    const res = await call('viewer-request', 'header-value-crlf');
    expectValidationError(res);
    expect(origin.seen.at(-1)?.headers['x-evil']).toBeUndefined();
  });

  test('a header object key that is not lowercase answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'header-uppercase-key'));
  });
});

describe('read-only headers', () => {
  test('viewer-request: changing Host answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'change-host'), 'the host header is read-only');
  });

  test('viewer-request: adding Via, or changing the viewer’s Via, answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'add-via'), 'the via header is read-only');
    await expectValidationError(await call('viewer-request', 'change-via', { headers: { Via: '1.1 proxy' } }), 'the via header is read-only');
  });

  test('viewer-request: changing Content-Length or adding Transfer-Encoding answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'change-content-length', { method: 'POST', body: 'abc' }), 'the content-length header is read-only');
    await expectValidationError(await call('viewer-request', 'add-transfer-encoding'), 'the transfer-encoding header is read-only');
  });

  test('viewer-request: leaving the read-only headers as they were passes', async () => {
    const res = await call('viewer-request', 'keep-read-only', { method: 'POST', body: 'abc', headers: { Via: '1.1 proxy' } });
    expect(res.status).toBe(200);
    expect(origin.seen.at(-1)!.body.toString()).toBe('abc');
  });

  test('origin-request: changing Accept-Encoding answers 502', async () => {
    await expectValidationError(await call('origin-request', 'change-accept-encoding', { headers: { 'Accept-Encoding': 'gzip' } }), 'the accept-encoding header is read-only');
  });

  test('origin-request: adding or removing If-None-Match answers 502', async () => {
    await expectValidationError(await call('origin-request', 'add-if-none-match'), 'the if-none-match header is read-only');
    await expectValidationError(await call('origin-request', 'remove-if-none-match', { headers: { 'If-None-Match': '"v1"' } }), 'the if-none-match header is read-only');
  });

  test('origin-request: adding If-Modified-Since or changing Via answers 502', async () => {
    await expectValidationError(await call('origin-request', 'add-if-modified-since'), 'the if-modified-since header is read-only');
    await expectValidationError(await call('origin-request', 'change-via'), 'the via header is read-only');
  });

  test('origin-request: changing Host is allowed', async () => {
    const res = await call('origin-request', 'change-host');
    expect(res.status).toBe(200);
    expect(origin.seen.at(-1)!.headers.host).toBe('other.example');
  });

  test('origin-response: adding Via or Transfer-Encoding answers 502', async () => {
    await expectValidationError(await call('origin-response', 'add-via'), 'the via header is read-only');
    await expectValidationError(await call('origin-response', 'add-transfer-encoding'), 'the transfer-encoding header is read-only');
  });

  test('viewer-response: changing or removing Via answers 502', async () => {
    await expectValidationError(await call('viewer-response', 'change-via'), 'the via header is read-only');
    await expectValidationError(await call('viewer-response', 'remove-via'), 'the via header is read-only');
  });

  test('viewer-response: adding Warning answers 502', async () => {
    await expectValidationError(await call('viewer-response', 'add-warning'), 'the warning header is read-only');
  });
});

describe('bodies', () => {
  test('viewer-request: a generated body 1 KB under 40 KB passes, one byte over 40 KB answers 502', async () => {
    const under = await call('viewer-request', `size-${40 * KB - KB}`);
    expect(under.status).toBe(200);
    expect(under.body.length).toBe(39 * KB);
    await expectValidationError(await call('viewer-request', `size-${40 * KB + 1}`));
  });

  test('viewer-request: a generated response without a body but with over 40 KB of headers answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'headers-over-40k'), 'over the 40960-byte limit');
  });

  test('origin-request: a generated body 1 KB under 1 MB passes, one byte over 1 MB answers 502', async () => {
    const under = await call('origin-request', `size-${MB - KB}`);
    expect(under.status).toBe(200);
    expect(under.body.length).toBe(MB - KB);
    await expectValidationError(await call('origin-request', `size-${MB + 1}`));
  });

  test('viewer-response: a replaced body over 40 KB answers 502, under passes', async () => {
    expect((await call('viewer-response', 'body-size', { headers: { 'X-Size': String(39 * KB) } })).body.length).toBe(39 * KB);
    await expectValidationError(await call('viewer-response', 'body-size', { headers: { 'X-Size': String(40 * KB + 1) } }));
  });

  test('viewer-request: a 204 with a body answers 502; without a body it passes', async () => {
    await expectValidationError(await call('viewer-request', 'status-204-with-body'));
    const ok = await call('viewer-request', 'status-204-empty');
    expect(ok.status).toBe(204);
    expect(ok.body.length).toBe(0);
  });

  test('a body that is not valid base64 answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'bad-base64'));
    await expectValidationError(await call('origin-request', 'bad-base64'));
    await expectValidationError(await call('origin-response', 'bad-base64'));
    await expectValidationError(await call('viewer-response', 'bad-base64'));
  });

  test('a bodyEncoding other than text or base64 answers 502', async () => {
    await expectValidationError(await call('viewer-request', 'bad-encoding'));
  });
});

describe('the error log line', () => {
  test.each([
    ['viewer-request', 'request-cases'],
    ['origin-request', 'request-cases'],
    ['origin-response', 'response-cases'],
    ['viewer-response', 'response-cases'],
  ])('a validation error at %s is logged once with the code, request id, function, version and event type', async (eventType, name) => {
    const res = await call(eventType, 'add-x-cache');
    await expectErrorResponse(edge, res, { status: 502, cacheStatus: 'LambdaValidationError', code: 'VERGE_ERR_FUNCTION_INVALID_RESULT', fn: { name, eventType } });
  });
});

// The isolate leaves out the unchanged head of a header list and says how many pairs it kept (`h`);
// the host takes those from its own list. A count the host could not have sent is refused, whatever
// wrote it.
describe('the kept head of a result header list', () => {
  const input = { clientIp: '127.0.0.1', method: 'GET', uri: '/', querystring: '', headers: ['Host', 'a.example', 'Accept', '*/*'] };
  const result = (h: unknown, headers: string[]) => ({ scalars: { t: 'Q', uri: '/', method: 'GET', querystring: '', h }, headers });

  test('the kept pairs come from the input, then the pairs sent', () => {
    const out = validateRequestHookResult('viewer-request', result(1, ['Accept', 'text/html', 'X-New', '1']), input);
    expect(out.kind === 'request' && out.request.headers).toEqual(['Host', 'a.example', 'Accept', 'text/html', 'X-New', '1']);
    const all = validateRequestHookResult('viewer-request', result(2, []), input);
    expect(all.kind === 'request' && all.request.headers).toEqual(input.headers);
    expect(all.kind === 'request' && all.request.headers).not.toBe(input.headers);
  });

  test.each([[3], [-1], [0.5], ['1'], [null]])('a kept count of %j answers a validation error', (h) => {
    expect(() => validateRequestHookResult('viewer-request', result(h, []), input)).toThrow(/the headers could not be read/);
  });

  test('a read-only header sent after the whole kept input is a change; dropped from the head it is too', () => {
    expect(() => validateRequestHookResult('viewer-request', result(2, ['Host', 'b.example']), input)).toThrow(/the host header is read-only/);
    expect(() => validateRequestHookResult('viewer-request', result(0, ['Accept', '*/*']), input)).toThrow(/the host header is read-only/);
  });
});
