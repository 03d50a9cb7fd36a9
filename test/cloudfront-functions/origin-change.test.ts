import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// cf.updateRequestOrigin / cf.selectRequestOriginById (viewer-request) and Lambda@Edge's request.origin
// (origin-request): what the function asks for is checked on the host before the origin request is sent.
const FUNCTIONS: Record<string, string> = {
  // Adds the custom header named by ?h= to the origin request.
  'custom-header': `var cf = require('cloudfront');
    function handler(event) { var h = {}; h[event.request.querystring.h.value] = 'from-function'; cf.updateRequestOrigin({ customHeaders: h }); return event.request; }`,
  // Sets the origin path given by ?p= (decoded).
  'origin-path': `var cf = require('cloudfront');
    function handler(event) { cf.updateRequestOrigin({ originPath: decodeURIComponent(event.request.querystring.p.value) }); return event.request; }`,
  'select-unknown': `var cf = require('cloudfront'); function handler(event) { cf.selectRequestOriginById('nowhere'); return event.request; }`,
  'select-b': `var cf = require('cloudfront'); function handler(event) { cf.selectRequestOriginById('b'); return event.request; }`,
};

describe('origin changes asked for by a function', () => {
  let origin: TestOrigin;
  let originB: TestOrigin;
  let edge: TestEdge;
  beforeAll(async () => {
    origin = await startOrigin((_req, res) => res.end('a'));
    originB = await startOrigin((_req, res) => res.end('b'));
    edge = await startEdge({
      origins: [{ id: 'o', url: origin.url }, { id: 'b', url: originB.url }],
      functions: [
        ...Object.entries(FUNCTIONS).map(([name, source]) => ({ name, code: functionFile(source), runtime: 'cloudfront-js-2.0', timeoutMs: 1000 })),
        { name: 'throttled', code: functionFile(`function handler(event) { return event.request; }`), runtime: 'cloudfront-js-2.0', reservedConcurrency: 0 },
        {
          name: 'lambda-path',
          code: functionFile(`exports.handler = async (event) => { const r = event.Records[0].cf.request; r.origin.custom.path = decodeURIComponent(r.querystring.slice(2)); return r; };`),
        },
      ],
      behaviors: [
        ...Object.keys(FUNCTIONS).map((name) => ({ pathPattern: `/${name}/*`, originId: 'o', functions: { 'viewer-request': { name } } })),
        { pathPattern: '/throttled/*', originId: 'o', functions: { 'viewer-request': { name: 'throttled' } } },
        { pathPattern: '/lambda-path/*', originId: 'o', functions: { 'origin-request': { name: 'lambda-path' } } },
        { pathPattern: '*', originId: 'o' },
      ],
    });
  });
  afterAll(async () => {
    await edge?.close();
    await origin?.close();
    await originB?.close();
  });

  async function errorLine(res: { headers: Record<string, unknown> }) {
    return eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === res.headers['x-verge-request-id']));
  }

  test('an allowed custom header reaches the origin', async () => {
    const before = origin.seen.length;
    const res = await send(`${edge.url}/custom-header/?h=X-Shared-Secret`);
    expect(res.status).toBe(200);
    expect(origin.seen.length).toBe(before + 1);
    expect(origin.seen.at(-1)!.headers['x-shared-secret']).toBe('from-function');
  });

  test.each(['X-Amz-Cf-Id', 'Connection', 'Host', 'Transfer-Encoding', 'Content-Length', 'Cache-Control', 'Cookie', 'Range', 'TE', 'Via', 'X-Real-Ip', 'X-Amz-Date', 'X-Edge-Thing', 'X-Forwarded-Proto'])(
    'customHeaders with %s is refused: 502 FunctionValidationError naming the header, nothing sent to the origin',
    async (name) => {
      const before = origin.seen.length;
      const res = await send(`${edge.url}/custom-header/?h=${name}`);
      expect(res.status).toBe(502);
      expect(res.headers['x-cache']).toBe('FunctionValidationError from verge');
      const line = await errorLine(res);
      expect(line.code).toBe('VERGE_ERR_CFF_INVALID_RESULT');
      expect(line.msg).toContain(`the ${name} header cannot be added to origin requests`);
      expect(line.function).toBe('custom-header');
      expect(origin.seen.length).toBe(before);
    },
  );

  test.each(['/a?b', '/a#b', '/a b', '/a\tb', '/a\u0001b'])('originPath %j is refused (CloudFront Function)', async (p) => {
    const before = origin.seen.length;
    const res = await send(`${edge.url}/origin-path/?p=${encodeURIComponent(p)}`);
    expect(res.status).toBe(502);
    expect(res.headers['x-cache']).toBe('FunctionValidationError from verge');
    expect((await errorLine(res)).msg).toMatch(/originPath must be/);
    expect(origin.seen.length).toBe(before);
  });

  test('a valid originPath is prepended to the URI', async () => {
    const res = await send(`${edge.url}/origin-path/x?p=${encodeURIComponent('/base/v1')}`);
    expect(res.status).toBe(200);
    expect(origin.seen.at(-1)!.url).toMatch(/^\/base\/v1\/origin-path\/x/);
  });

  test.each(['/a?b', '/a#b', '/a b', '/a\u0001b'])('request.origin.custom.path %j is refused (Lambda@Edge)', async (p) => {
    const before = origin.seen.length;
    const res = await send(`${edge.url}/lambda-path/?p=${encodeURIComponent(p)}`);
    expect(res.status).toBe(502);
    expect(res.headers['x-cache']).toBe('LambdaValidationError from verge');
    expect((await errorLine(res)).msg).toMatch(/request\.origin\.custom\.path must be/);
    expect(origin.seen.length).toBe(before);
  });

  test('selectRequestOriginById with a known id goes to that origin', async () => {
    const res = await send(`${edge.url}/select-b/`);
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('b');
  });

  test('selectRequestOriginById with an unknown id is the function\'s validation error: 502 FunctionValidationError, with its name', async () => {
    const res = await send(`${edge.url}/select-unknown/`);
    expect(res.status).toBe(502);
    expect(res.headers['x-cache']).toBe('FunctionValidationError from verge');
    const line = await errorLine(res);
    expect(line.code).toBe('VERGE_ERR_CFF_INVALID_RESULT');
    expect(line.function).toBe('select-unknown');
    expect(line.msg).toMatch(/no origin has id "nowhere"/);
  });

  test('a CloudFront Function over its reservedConcurrency is throttled: 503 FunctionThrottledError', async () => {
    const res = await send(`${edge.url}/throttled/`);
    expect(res.status).toBe(503);
    expect(res.headers['x-cache']).toBe('FunctionThrottledError from verge');
    const line = await errorLine(res);
    expect(line.code).toBe('VERGE_ERR_CFF_THROTTLED');
    expect(line.cause).toBe('VERGE_ERR_FUNCTION_THROTTLED');
    expect(line.function).toBe('throttled');
  });
});
