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
    ],
    behaviors: [
      { pathPattern: '/plain/*', originId: 'o' },
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
