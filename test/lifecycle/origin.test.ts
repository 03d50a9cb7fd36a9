import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectErrorResponse, fn } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// origin-request may rewrite where the request goes (CloudFront "Lambda@Edge: dynamic origin
// selection"): uri, querystring, headers and the custom origin itself. The behavior was chosen before
// any function ran and is not chosen again.

let primary: TestOrigin;
let secondary: TestOrigin;
let silent: TestOrigin;
let closedPort: number;
let edge: TestEdge;

/** A port nothing listens on: bound once, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function namedOrigin(name: string): Promise<TestOrigin> {
  return startOrigin((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Origin-Name': name });
    res.end(`${name} got ${req.url}`);
  });
}

beforeAll(async () => {
  primary = await namedOrigin('primary');
  secondary = await namedOrigin('secondary');
  silent = await startOrigin(() => undefined); // accepts, reads the request, never answers
  closedPort = await freePort();
  const toSecondary = (extra: string) => `exports.handler = async (event) => {
    const r = event.Records[0].cf.request;
    r.origin = { custom: { domainName: '127.0.0.1', port: ${secondary.port}, protocol: 'http', path: '${extra}',
      customHeaders: { 'x-secondary-key': [{ key: 'X-Secondary-Key', value: 's3cret' }] } } };
    return r;
  };`;
  edge = await startEdge({
    origins: [
      { id: 'primary', url: primary.url, customHeaders: { 'X-Origin-Key': 'from-config' } },
      { id: 'based', url: `${primary.url}/base/path` },
      { id: 'closed', url: `http://127.0.0.1:${closedPort}` },
      { id: 'silent', url: silent.url, readTimeoutMs: 200 },
    ],
    functions: [
      fn(
        'rewrite',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.request;
          r.uri = '/rewritten' + r.uri;
          r.querystring = 'added=1' + (r.querystring ? '&' + r.querystring : '');
          r.headers['x-rewritten'] = [{ key: 'X-Rewritten', value: 'yes' }];
          return r;
        };`,
      ),
      fn('to-secondary', toSecondary('')),
      fn('to-secondary-path', toSecondary('/v2')),
      fn('to-https', `exports.handler = async (event) => { const r = event.Records[0].cf.request; r.origin.custom.protocol = 'https'; return r; };`),
      fn('to-closed', `exports.handler = async (event) => { const r = event.Records[0].cf.request; r.origin.custom.port = ${closedPort}; return r; };`),
      fn(
        'edit-origin-header',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.request;
          r.origin.custom.customHeaders['x-origin-key'][0].value = 'from-function';
          return r;
        };`,
      ),
      fn('to-b', `exports.handler = async (event) => { const r = event.Records[0].cf.request; r.uri = '/b/moved'; return r; };`),
      fn(
        'report-origin',
        `exports.handler = async (event) => {
          const { response, request } = event.Records[0].cf;
          const o = request.origin.custom;
          response.headers['x-seen-origin'] = [{ key: 'X-Seen-Origin', value: o.domainName + ':' + o.port + ' ' + JSON.stringify(o.customHeaders) }];
          return response;
        };`,
      ),
      fn('mark-b', `exports.handler = async (event) => { const r = event.Records[0].cf.response; r.headers['x-behavior-b'] = [{ value: 'ran' }]; return r; };`),
    ],
    behaviors: [
      { pathPattern: '/rewrite/*', originId: 'primary', functions: { 'origin-request': { name: 'rewrite' } } },
      { pathPattern: '/switch/*', originId: 'primary', functions: { 'origin-request': { name: 'to-secondary' } } },
      { pathPattern: '/switch-path/*', originId: 'primary', functions: { 'origin-request': { name: 'to-secondary-path' } } },
      { pathPattern: '/switch-https/*', originId: 'primary', functions: { 'origin-request': { name: 'to-https' } } },
      { pathPattern: '/switch-closed/*', originId: 'primary', functions: { 'origin-request': { name: 'to-closed' } } },
      { pathPattern: '/a-origin/*', originId: 'primary', functions: { 'origin-request': { name: 'to-b' } } },
      { pathPattern: '/edit-origin-header/*', originId: 'primary', functions: { 'origin-request': { name: 'edit-origin-header' } } },
      { pathPattern: '/a-viewer/*', originId: 'primary', functions: { 'viewer-request': { name: 'to-b' } } },
      { pathPattern: '/seen/*', originId: 'primary', functions: { 'origin-response': { name: 'report-origin' } } },
      { pathPattern: '/seen-switch/*', originId: 'primary', functions: { 'origin-request': { name: 'to-secondary' }, 'origin-response': { name: 'report-origin' } } },
      { pathPattern: '/seen-edit/*', originId: 'primary', functions: { 'origin-request': { name: 'edit-origin-header' }, 'origin-response': { name: 'report-origin' } } },
      { pathPattern: '/b/*', originId: 'based', functions: { 'origin-request': { name: 'to-secondary' }, 'viewer-response': { name: 'mark-b' } } },
      { pathPattern: '/based/*', originId: 'based' },
      { pathPattern: '/closed/*', originId: 'closed' },
      { pathPattern: '/silent/*', originId: 'silent' },
      { pathPattern: '*', originId: 'primary' },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await Promise.all([primary?.close(), secondary?.close(), silent?.close()]);
});

describe('origin-request rewrites', () => {
  test('a changed uri, querystring and added header are what the origin receives', async () => {
    const res = await send(`${edge.url}/rewrite/page?x=1`);
    expect(res.status).toBe(200);
    const seen = primary.seen.at(-1)!;
    expect(seen.url).toBe('/rewritten/rewrite/page?added=1&x=1');
    expect(seen.headers['x-rewritten']).toBe('yes');
  });

  test('a changed origin sends the request to that origin, with its custom headers instead of the configured ones', async () => {
    const before = primary.seen.length;
    const res = await send(`${edge.url}/switch/page?q=1`);
    expect(res.status).toBe(200);
    expect(res.headers['x-origin-name']).toBe('secondary');
    expect(res.text).toBe('secondary got /switch/page?q=1');
    const seen = secondary.seen.at(-1)!;
    expect(seen.headers['x-secondary-key']).toBe('s3cret');
    expect(seen.headers['x-origin-key']).toBeUndefined();
    expect(primary.seen.length).toBe(before);
  });

  // The host keeps the origin it built when a function hands it back unchanged; one changed field,
  // here a custom header's value, is a changed origin.
  test('a custom header changed on the origin the function was given reaches that origin', async () => {
    const res = await send(`${edge.url}/edit-origin-header/page`);
    expect(res.status).toBe(200);
    expect(primary.seen.at(-1)!.headers['x-origin-key']).toBe('from-function');
    await send(`${edge.url}/rewrite/page`);
    expect(primary.seen.at(-1)!.headers['x-origin-key']).toBe('from-config');
  });

  // The event's origin is serialised once per configured origin (cf-wire.ts): what a function
  // changes, on its own copy or as a new origin, must never show in a later event's origin.
  test('origin-response sees the origin the request went to: the configured one, a changed one, and the configured one again', async () => {
    const configured = `127.0.0.1:${primary.port} {"x-origin-key":[{"key":"X-Origin-Key","value":"from-config"}]}`;
    expect((await send(`${edge.url}/seen/1`)).headers['x-seen-origin']).toBe(configured);
    expect((await send(`${edge.url}/seen-switch/1`)).headers['x-seen-origin']).toBe(`127.0.0.1:${secondary.port} {"x-secondary-key":[{"key":"X-Secondary-Key","value":"s3cret"}]}`);
    expect((await send(`${edge.url}/seen-edit/1`)).headers['x-seen-origin']).toBe(`127.0.0.1:${primary.port} {"x-origin-key":[{"key":"X-Origin-Key","value":"from-function"}]}`);
    expect((await send(`${edge.url}/seen/2`)).headers['x-seen-origin']).toBe(configured);
  });

  test('a changed origin path is put in front of the uri', async () => {
    const res = await send(`${edge.url}/switch-path/page`);
    expect(res.text).toBe('secondary got /v2/switch-path/page');
  });

  test('a changed protocol is used: https to a plain-HTTP origin fails the TLS handshake and answers 502', async () => {
    const before = primary.seen.length;
    const res = await send(`${edge.url}/switch-https/page`);
    await expectErrorResponse(edge, res, { status: 502, cacheStatus: 'Error', code: 'VERGE_ERR_ORIGIN_UNREACHABLE' });
    expect(primary.seen.length).toBe(before);
  });

  test('a changed origin that cannot be reached answers 502', async () => {
    const res = await send(`${edge.url}/switch-closed/page`);
    await expectErrorResponse(edge, res, { status: 502, cacheStatus: 'Error', code: 'VERGE_ERR_ORIGIN_UNREACHABLE' });
  });
});

describe('behavior selection', () => {
  test('a uri changed at origin-request does not select another behavior', async () => {
    const res = await send(`${edge.url}/a-origin/page`);
    expect(res.status).toBe(200);
    // Still behavior /a-origin/*: its origin (primary, no base path), none of /b/*'s functions.
    expect(res.text).toBe('primary got /b/moved');
    expect(res.headers['x-behavior-b']).toBeUndefined();
  });

  test('a uri changed at viewer-request does not select another behavior', async () => {
    const res = await send(`${edge.url}/a-viewer/page`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('primary got /b/moved');
    expect(res.headers['x-behavior-b']).toBeUndefined();
  });
});

describe('configured origins', () => {
  test('the origin url’s path is put in front of the uri', async () => {
    const res = await send(`${edge.url}/based/page?k=v`);
    expect(res.text).toBe('primary got /base/path/based/page?k=v');
  });

  test('configured custom headers are sent and win over a viewer header of the same name', async () => {
    await send(`${edge.url}/anything`, { headers: { 'X-Origin-Key': 'forged-by-viewer' } });
    const seen = primary.seen.at(-1)!;
    expect(seen.headers['x-origin-key']).toBe('from-config');
    expect(seen.rawHeaders.filter((h) => h.toLowerCase() === 'x-origin-key')).toEqual(['X-Origin-Key']);
  });
});

describe('origin failures', () => {
  test('an origin on a closed port answers 502 with the code and request id', async () => {
    const res = await send(`${edge.url}/closed/page`);
    await expectErrorResponse(edge, res, { status: 502, cacheStatus: 'Error', code: 'VERGE_ERR_ORIGIN_UNREACHABLE' });
  });

  test('an origin that never answers within readTimeoutMs answers 504 with the code and request id', async () => {
    const started = performance.now();
    const res = await send(`${edge.url}/silent/page`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
    await expectErrorResponse(edge, res, { status: 504, cacheStatus: 'Error', code: 'VERGE_ERR_ORIGIN_TIMEOUT' });
    expect(silent.seen.length).toBeGreaterThan(0);
  });

  test('the node keeps serving after origin failures', async () => {
    expect((await send(`${edge.url}/anything`)).status).toBe(200);
  });
});
