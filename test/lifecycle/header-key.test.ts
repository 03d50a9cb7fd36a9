import { afterAll, beforeAll, expect, test } from 'vitest';
import { fn } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A header entry whose `key` names another header than the object's name it sits under. The name
// decides the header; the `key` is only its case, and one that does not match is sent in Title-Case
// like a missing key. CloudFront's own documentation copies one header's entry (key and all) under
// another name to set that header (the "Override a response header" Lambda@Edge example), so refusing
// it, as Verge once did with a 502, broke code written for CloudFront.

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin((_req, res) => {
    res.writeHead(200, ['Content-Type', 'text/plain', 'X-Stored-Etag', '"v42"']);
    res.end('ok');
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      // origin-response: reuse the stored ETag's entry as the ETag.
      fn(
        'etag-from-metadata',
        `exports.handler = (event, context, callback) => {
          const headers = event.Records[0].cf.response.headers;
          const stored = headers['x-stored-etag'];
          if (stored) headers.etag = [stored[0]];
          callback(null, event.Records[0].cf.response);
        };`,
      ),
      // viewer-request: forward the viewer's Host entry as X-Original-Host (keeps key "Host").
      fn(
        'copy-host',
        `exports.handler = async (event) => {
          const request = event.Records[0].cf.request;
          request.headers['x-original-host'] = [request.headers.host[0]];
          return request;
        };`,
      ),
      // origin-request: a custom origin header whose key names another header.
      fn(
        'custom-header-odd-key',
        `exports.handler = async (event) => {
          const request = event.Records[0].cf.request;
          request.origin.custom.customHeaders['x-origin-secret'] = [{ key: 'Authorization', value: 's3cret' }];
          request.origin.custom.customHeaders['x-shared'] = [{ key: 'X-SHARED', value: 'kept case' }];
          return request;
        };`,
      ),
      fn('bad-key-type', `exports.handler = async (event) => { const r = event.Records[0].cf.request; r.headers['x-a'] = [{ key: 42, value: 'v' }]; return r; };`),
    ],
    behaviors: [
      { pathPattern: '/etag/*', originId: 'o', functions: { 'origin-response': { name: 'etag-from-metadata' } } },
      { pathPattern: '/host/*', originId: 'o', functions: { 'viewer-request': { name: 'copy-host' } } },
      { pathPattern: '/custom/*', originId: 'o', functions: { 'origin-request': { name: 'custom-header-odd-key' } } },
      { pathPattern: '/bad/*', originId: 'o', functions: { 'viewer-request': { name: 'bad-key-type' } } },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('a response header set from another header\'s entry goes out under its own name, Title-Cased', async () => {
  const res = await send(`${edge.url}/etag/a`);
  expect(res.status).toBe(200);
  expect(res.headers.etag).toBe('"v42"');
  expect(res.rawHeaders).toContain('Etag');
  // The source header is still there, once.
  expect(res.rawHeaders.filter((h) => h.toLowerCase() === 'x-stored-etag')).toEqual(['X-Stored-Etag']);
});

test('a request header copied from the Host entry reaches the origin under the new name', async () => {
  const res = await send(`${edge.url}/host/a`, { headers: { host: 'shop.example' } });
  expect(res.status).toBe(200);
  const seen = origin.seen.at(-1)!;
  expect(seen.headers['x-original-host']).toBe('shop.example');
  expect(seen.rawHeaders).toContain('X-Original-Host');
});

test('an origin custom header with a mismatched key is sent under its name; a matching key keeps its case', async () => {
  const res = await send(`${edge.url}/custom/a`);
  expect(res.status).toBe(200);
  const seen = origin.seen.at(-1)!;
  expect(seen.headers['x-origin-secret']).toBe('s3cret');
  expect(seen.headers.authorization).toBeUndefined();
  expect(seen.rawHeaders).toContain('X-Origin-Secret');
  expect(seen.rawHeaders).toContain('X-SHARED');
});

test('a key that is not a string is still refused', async () => {
  const res = await send(`${edge.url}/bad/a`);
  expect(res.status).toBe(502);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_INVALID_RESULT');
});
