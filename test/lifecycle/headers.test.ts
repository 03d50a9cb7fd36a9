import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fn, PASS_REQUEST, PASS_RESPONSE, rawNames, rawPairs, rawRequestHeaders } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Functions see headers as {lowercase: [{key, value}…]} and hand them back that way: duplicates, their
// order and the case of each name survive both ways; an entry without `key` is sent in Title-Case, as
// Lambda@Edge fills a missing key.

let origin: TestOrigin;
let edge: TestEdge;

const ORIGIN_HEADERS = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'X-MiXeD-Case', 'm', 'set-cookie', 'b=2', 'SET-COOKIE', 'c=3'];

beforeAll(async () => {
  origin = await startOrigin((_req, res) => {
    res.writeHead(200, ORIGIN_HEADERS);
    res.end('ok');
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn('pass-request', PASS_REQUEST),
      fn('pass-response', PASS_RESPONSE),
      fn(
        'edit-request',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.request;
          r.headers['x-no-key-header'] = [{ value: 'v' }];
          r.headers['x-two'] = [{ value: 'first' }, { key: 'X-TWO', value: 'second' }];
          r.headers['x-odd-case'] = [{ key: 'x-oDD-cASE', value: 'kept' }];
          delete r.headers['x-remove-me'];
          return r;
        };`,
      ),
      fn(
        'edit-response',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.response;
          r.headers['x-no-key-header'] = [{ value: 'v' }];
          r.headers['strict-transport-security'] = [{ value: 'max-age=63072000' }];
          r.headers['x-two'] = [{ value: 'first' }, { key: 'x-Two', value: 'second' }];
          delete r.headers['x-mixed-case'];
          return r;
        };`,
      ),
      fn(
        'edit-in-place',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.request;
          r.headers['x-b'][0].value = 'changed';
          r.headers['x-a'][0].key = 'x-A';
          return r;
        };`,
      ),
      fn(
        'inherited-names',
        `exports.handler = async (event) => {
          const h = event.Records[0].cf.request.headers;
          return { status: '200', body: JSON.stringify({ constructor: h.constructor, own: Object.hasOwn(h, 'constructor'), fresh: typeof ({}).constructor }) };
        };`,
      ),
      fn(
        'read-request-in-response',
        `exports.handler = async (event) => {
          const { request, response } = event.Records[0].cf;
          const keys = Object.keys(request).join(',');
          const json = JSON.parse(JSON.stringify(request));
          const seen = request.headers['x-from-viewer'];
          response.headers['x-seen'] = [{ value: seen ? seen.map((e) => e.key + '=' + e.value).join(';') : 'none' }];
          response.headers['x-keys'] = [{ value: keys }];
          response.headers['x-json-has'] = [{ value: String(json.headers['x-from-viewer'][0].value) }];
          response.headers['x-same-object'] = [{ value: String(request.headers === request.headers) }];
          return response;
        };`,
      ),
      fn(
        'replace-request-headers-in-response',
        `exports.handler = async (event) => {
          const { request, response } = event.Records[0].cf;
          request.headers = { mine: [{ key: 'Mine', value: '1' }] };
          response.headers['x-replaced'] = [{ value: Object.keys(request.headers).join(',') }];
          return response;
        };`,
      ),
    ],
    behaviors: [
      { pathPattern: '/plain/*', originId: 'o' },
      { pathPattern: '/edit-in-place/*', originId: 'o', functions: { 'viewer-request': { name: 'edit-in-place' } } },
      { pathPattern: '/inherited-names/*', originId: 'o', functions: { 'viewer-request': { name: 'inherited-names' } } },
      { pathPattern: '/read-request-in-response/*', originId: 'o', functions: { 'viewer-response': { name: 'read-request-in-response' } } },
      { pathPattern: '/replace-request-in-response/*', originId: 'o', functions: { 'origin-response': { name: 'replace-request-headers-in-response' } } },
      {
        pathPattern: '/through-functions/*',
        originId: 'o',
        functions: {
          'viewer-request': { name: 'pass-request' },
          'origin-request': { name: 'pass-request' },
          'origin-response': { name: 'pass-response' },
          'viewer-response': { name: 'pass-response' },
        },
      },
      { pathPattern: '/edit-request/*', originId: 'o', functions: { 'viewer-request': { name: 'edit-request' } } },
      { pathPattern: '/edit-origin-request/*', originId: 'o', functions: { 'origin-request': { name: 'edit-request' } } },
      { pathPattern: '/edit-viewer-response/*', originId: 'o', functions: { 'viewer-response': { name: 'edit-response' } } },
      { pathPattern: '/edit-origin-response/*', originId: 'o', functions: { 'origin-response': { name: 'edit-response' } } },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

const VIEWER_HEADERS = ['X-Dup', 'one', 'Accept', '*/*', 'x-dup', 'two', 'X-DUP', 'three', 'X-Lower-upper', 'v'];

describe.each(['/plain/a', '/through-functions/a'])('request headers to the origin (%s)', (path) => {
  test('duplicates stay separate lines, in order, each with its own case', async () => {
    await send(`${edge.url}${path}`, { headers: rawRequestHeaders(edge.url, ...VIEWER_HEADERS) });
    const seen = origin.seen.at(-1)!;
    expect(rawPairs(seen.rawHeaders, 'x-dup')).toEqual([
      ['X-Dup', 'one'],
      ['x-dup', 'two'],
      ['X-DUP', 'three'],
    ]);
    expect(rawPairs(seen.rawHeaders, 'x-lower-upper')).toEqual([['X-Lower-upper', 'v']]);
  });

  // Without a function the list passes as it arrived; through a function it passes the CloudFront
  // object form, which groups entries under the name's first position.
  test('names keep the order in which they first arrived', async () => {
    await send(`${edge.url}${path}`, { headers: rawRequestHeaders(edge.url, ...VIEWER_HEADERS) });
    const names = rawNames(origin.seen.at(-1)!.rawHeaders).filter((n) => ['x-dup', 'accept', 'x-lower-upper'].includes(n.toLowerCase()));
    const expected = path.startsWith('/plain')
      ? rawNames(VIEWER_HEADERS).filter((n) => ['x-dup', 'accept', 'x-lower-upper'].includes(n.toLowerCase()))
      : ['x-dup', 'x-dup', 'x-dup', 'accept', 'x-lower-upper'];
    expect(names.map((n) => n.toLowerCase())).toEqual(expected.map((n) => n.toLowerCase()));
  });
});

describe.each(['/plain/a', '/through-functions/a'])('response headers to the viewer (%s)', (path) => {
  test('duplicates (Set-Cookie) stay separate lines, in order, each with its own case', async () => {
    const res = await send(`${edge.url}${path}`);
    expect(rawPairs(res.rawHeaders, 'set-cookie')).toEqual([
      ['Set-Cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['SET-COOKIE', 'c=3'],
    ]);
    expect(rawPairs(res.rawHeaders, 'x-mixed-case')).toEqual([['X-MiXeD-Case', 'm']]);
    expect(rawPairs(res.rawHeaders, 'content-type')).toEqual([['Content-Type', 'text/plain']]);
  });
});

describe.each(['/edit-request/a', '/edit-origin-request/a'])('a request function editing headers (%s)', (path) => {
  test('an added entry without key reaches the origin in Title-Case', async () => {
    await send(`${edge.url}${path}`);
    expect(rawPairs(origin.seen.at(-1)!.rawHeaders, 'x-no-key-header')).toEqual([['X-No-Key-Header', 'v']]);
  });

  test('an added list of two entries reaches the origin as two lines, a given key keeping its case', async () => {
    await send(`${edge.url}${path}`);
    const raw = origin.seen.at(-1)!.rawHeaders;
    expect(rawPairs(raw, 'x-two')).toEqual([
      ['X-Two', 'first'],
      ['X-TWO', 'second'],
    ]);
    expect(rawPairs(raw, 'x-odd-case')).toEqual([['x-oDD-cASE', 'kept']]);
  });

  test('a deleted header does not reach the origin', async () => {
    await send(`${edge.url}${path}`, { headers: { 'X-Remove-Me': 'gone', 'X-Keep-Me': 'kept' } });
    const seen = origin.seen.at(-1)!;
    expect(seen.headers['x-remove-me']).toBeUndefined();
    expect(seen.headers['x-keep-me']).toBe('kept');
  });
});

describe.each(['/edit-viewer-response/a', '/edit-origin-response/a'])('a response function editing headers (%s)', (path) => {
  test('an added entry without key reaches the viewer in Title-Case', async () => {
    const res = await send(`${edge.url}${path}`);
    expect(rawPairs(res.rawHeaders, 'x-no-key-header')).toEqual([['X-No-Key-Header', 'v']]);
    expect(rawPairs(res.rawHeaders, 'strict-transport-security')).toEqual([['Strict-Transport-Security', 'max-age=63072000']]);
  });

  test('an added list of two entries reaches the viewer as two lines and a deleted header is gone', async () => {
    const res = await send(`${edge.url}${path}`);
    expect(rawPairs(res.rawHeaders, 'x-two')).toEqual([
      ['X-Two', 'first'],
      ['x-Two', 'second'],
    ]);
    expect(res.headers['x-mixed-case']).toBeUndefined();
    expect(rawPairs(res.rawHeaders, 'set-cookie')).toHaveLength(3);
  });
});

// The isolate sends back only what a handler changed after the unchanged head of the list, and builds
// header objects by assignment: neither may show. A response event carries the request's headers too.
describe('headers a handler edits in place, and names Object.prototype has', () => {
  test('a value changed in the middle and a key recased at the head reach the origin in place, the rest unchanged', async () => {
    await send(`${edge.url}/edit-in-place/a`, { headers: rawRequestHeaders(edge.url, 'X-A', 'a', 'X-B', 'b', 'X-C', 'c', 'X-B', 'b2') });
    const raw = origin.seen.at(-1)!.rawHeaders;
    const ours = [];
    for (let i = 0; i < raw.length; i += 2) if (/^x-[abc]$/i.test(raw[i]!)) ours.push([raw[i], raw[i + 1]]);
    expect(ours).toEqual([
      ['x-A', 'a'],
      ['X-B', 'changed'],
      ['X-B', 'b2'],
      ['X-C', 'c'],
    ]);
  });

  test('a header named constructor is the headers object\'s own list, and the prototype is untouched', async () => {
    const res = await send(`${edge.url}/inherited-names/a`, { headers: rawRequestHeaders(edge.url, 'Constructor', 'one', 'constructor', 'two') });
    expect(JSON.parse(res.text)).toEqual({
      constructor: [
        { key: 'Constructor', value: 'one' },
        { key: 'constructor', value: 'two' },
      ],
      own: true,
      fresh: 'function',
    });
    const without = await send(`${edge.url}/inherited-names/a`);
    expect(JSON.parse(without.text)).toMatchObject({ own: false, fresh: 'function' });
  });

  test("a response function reads the request's headers as in any event: values, key order, JSON, one object", async () => {
    const res = await send(`${edge.url}/read-request-in-response/a`, { headers: rawRequestHeaders(edge.url, 'X-From-Viewer', 'v1', 'x-from-viewer', 'v2') });
    expect(res.status).toBe(200);
    expect(res.headers['x-seen']).toBe('X-From-Viewer=v1;x-from-viewer=v2');
    expect(res.headers['x-keys']).toBe('clientIp,headers,method,querystring,uri');
    expect(res.headers['x-json-has']).toBe('v1');
    expect(res.headers['x-same-object']).toBe('true');
  });

  test("a response function may replace the request's headers before reading them", async () => {
    const res = await send(`${edge.url}/replace-request-in-response/a`);
    expect(res.status).toBe(200);
    expect(res.headers['x-replaced']).toBe('mine');
  });
});
