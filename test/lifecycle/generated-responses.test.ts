import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fn, PASS_RESPONSE } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// A request hook returns the request to continue, or a response that answers the viewer directly
// (CloudFront: "generate HTTP responses in request triggers"). Response hooks return the response and
// may replace its body. Which hooks then run follows CloudFront's lifecycle.

let origin: TestOrigin;
let edge: TestEdge;

const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]);

/** A response hook that marks the response it saw with `x-<name>` and, unless `keepBody`, replaces its body. */
function marker(name: string, replaceBody: boolean): string {
  return `exports.handler = async (event) => {
    const r = event.Records[0].cf.response;
    r.headers['x-${name}'] = [{ key: 'X-${name}', value: 'saw ' + r.status }];
    ${replaceBody ? `r.body = '${name} replaced a ' + r.status;` : ''}
    return r;
  };`;
}

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    const status = Number(/status-(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
    res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(`origin ${status}`) });
    res.end(`origin ${status}`);
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn(
        'generate-text',
        `exports.handler = async () => ({
          status: '418',
          statusDescription: 'I Am A Teapot',
          headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }], 'x-generated': [{ value: 'yes' }] },
          body: 'short and stout ☕',
          bodyEncoding: 'text',
        });`,
      ),
      fn(
        'generate-base64',
        `exports.handler = async () => ({
          status: '200',
          headers: { 'content-type': [{ value: 'image/png' }] },
          body: '${PNG_BYTES.toString('base64')}',
          bodyEncoding: 'base64',
        });`,
      ),
      fn('generate-redirect', `exports.handler = (event, context, callback) => callback(null, { status: '302', statusDescription: 'Found', headers: { location: [{ key: 'Location', value: 'https://example.com/new' }] } });`),
      fn('mark-origin-response', marker('origin-response', false)),
      fn('replace-origin-response', marker('origin-response', true)),
      fn('mark-viewer-response', marker('viewer-response', false)),
      fn('replace-viewer-response', marker('viewer-response', true)),
      fn('pass-response', PASS_RESPONSE),
      fn('wrong-length', `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['content-length'] = [{ value: '3' }]; return r; };`),
    ],
    behaviors: [
      { pathPattern: '/vreq-text/*', originId: 'o', functions: { 'viewer-request': { name: 'generate-text' }, 'viewer-response': { name: 'mark-viewer-response' } } },
      { pathPattern: '/vreq-base64/*', originId: 'o', functions: { 'viewer-request': { name: 'generate-base64' } } },
      { pathPattern: '/vreq-redirect/*', originId: 'o', functions: { 'viewer-request': { name: 'generate-redirect' } } },
      {
        pathPattern: '/oreq-generated/*',
        originId: 'o',
        functions: {
          'origin-request': { name: 'generate-redirect' },
          'origin-response': { name: 'mark-origin-response' },
          'viewer-response': { name: 'mark-viewer-response' },
        },
      },
      { pathPattern: '/ores-mark/*', originId: 'o', functions: { 'origin-response': { name: 'mark-origin-response' } } },
      { pathPattern: '/ores-replace/*', originId: 'o', functions: { 'origin-response': { name: 'replace-origin-response' } } },
      { pathPattern: '/vres-mark/*', originId: 'o', functions: { 'viewer-response': { name: 'mark-viewer-response' } } },
      { pathPattern: '/vres-replace/*', originId: 'o', functions: { 'viewer-response': { name: 'replace-viewer-response' } } },
      { pathPattern: '/ores-wrong-length/*', originId: 'o', functions: { 'origin-response': { name: 'wrong-length' } } },
      { pathPattern: '/vres-wrong-length/*', originId: 'o', functions: { 'viewer-response': { name: 'wrong-length' } } },
      { pathPattern: '/vres-pass/*', originId: 'o', functions: { 'viewer-response': { name: 'pass-response' } } },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('generated at viewer-request', () => {
  test('a text body is answered with the status, reason phrase, headers and a matching Content-Length, without the origin', async () => {
    const before = origin.seen.length;
    const res = await send(`${edge.url}/vreq-text/a`);
    expect(res.status).toBe(418);
    expect(res.statusMessage).toBe('I Am A Teapot');
    expect(res.text).toBe('short and stout ☕');
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('short and stout ☕')));
    expect(res.rawHeaders).toContain('X-Generated');
    expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
    expect(origin.seen.length).toBe(before);
  });

  test('a base64 body is decoded to the exact bytes', async () => {
    const res = await send(`${edge.url}/vreq-base64/a`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.body.equals(PNG_BYTES)).toBe(true);
  });

  test('a response given to the callback without a body is answered with an empty body', async () => {
    const res = await send(`${edge.url}/vreq-redirect/a`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://example.com/new');
    expect(res.headers['content-length']).toBe('0');
    expect(res.body.length).toBe(0);
  });

  test('viewer-response does not run for a response generated at viewer-request', async () => {
    const res = await send(`${edge.url}/vreq-text/a`);
    expect(res.status).toBe(418);
    expect(res.headers['x-viewer-response']).toBeUndefined();
  });
});

describe('generated at origin-request', () => {
  test('the origin is not contacted and origin-response is skipped, but viewer-response runs', async () => {
    const before = origin.seen.length;
    const res = await send(`${edge.url}/oreq-generated/a`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('https://example.com/new');
    expect(res.headers['x-origin-response']).toBeUndefined();
    expect(res.headers['x-viewer-response']).toBe('saw 302');
    expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
    expect(origin.seen.length).toBe(before);
  });
});

describe('origin-response', () => {
  test.each([200, 301, 404, 500, 503])('runs when the origin answers %i', async (status) => {
    const res = await send(`${edge.url}/ores-mark/status-${status}`);
    expect(res.status).toBe(status);
    expect(res.headers['x-origin-response']).toBe(`saw ${status}`);
  });

  test('leaving out body keeps the origin body', async () => {
    const res = await send(`${edge.url}/ores-mark/status-200`);
    expect(res.text).toBe('origin 200');
    expect(res.headers['content-length']).toBe('10');
  });

  test.each([200, 404, 500])('setting body replaces the origin body of a %i, with a matching Content-Length', async (status) => {
    const res = await send(`${edge.url}/ores-replace/status-${status}`);
    expect(res.status).toBe(status);
    const expected = `origin-response replaced a ${status}`;
    expect(res.text).toBe(expected);
    expect(res.headers['content-length']).toBe(String(expected.length));
  });
});

describe('viewer-response', () => {
  test.each([200, 301, 304])('runs when the origin answers %i', async (status) => {
    const res = await send(`${edge.url}/vres-mark/status-${status}`);
    expect(res.status).toBe(status);
    expect(res.headers['x-viewer-response']).toBe(`saw ${status}`);
  });

  test.each([400, 404, 500, 503])('is skipped when the origin answers %i', async (status) => {
    const res = await send(`${edge.url}/vres-mark/status-${status}`);
    expect(res.status).toBe(status);
    expect(res.headers['x-viewer-response']).toBeUndefined();
    expect(res.text).toBe(`origin ${status}`);
  });

  test('setting body replaces the body the viewer gets', async () => {
    const res = await send(`${edge.url}/vres-replace/status-200`);
    expect(res.text).toBe('viewer-response replaced a 200');
    expect(res.headers['content-length']).toBe(String('viewer-response replaced a 200'.length));
  });

  test('returning the response untouched keeps the origin status, headers and body', async () => {
    const res = await send(`${edge.url}/vres-pass/status-200`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(res.text).toBe('origin 200');
    expect(res.headers['x-cache']).toBe('Miss from verge');
  });
});

describe('framing of an origin body that a function left as it was', () => {
  test.each(['/ores-wrong-length', '/vres-wrong-length'])('a Content-Length changed by a function (%s) is replaced by the origin’s', async (prefix) => {
    // RFC 9112 §6.3: the length must describe the bytes actually sent.
    const res = await send(`${edge.url}${prefix}/status-200`);
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('10');
    expect(res.text).toBe('origin 200');
  });
});
