import { afterAll, beforeAll, expect, test } from 'vitest';
import { expectErrorResponse, fn } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// An origin-request function that points the request at another origin may give it custom headers,
// under CloudFront's rules for origin custom headers ("Custom headers that CloudFront can't add to
// origin requests"): the same list CloudFront Functions' updateRequestOrigin and the config follow.

let origin: TestOrigin;
let edge: TestEdge;

const withCustomHeader = (name: string) => `exports.handler = async (event) => {
  const r = event.Records[0].cf.request;
  r.origin.custom.customHeaders['${name}'] = [{ key: '${name}', value: 'from-function' }];
  return r;
};`;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [fn('adds-host', withCustomHeader('host')), fn('adds-amz', withCustomHeader('x-amz-cf-id')), fn('adds-allowed', withCustomHeader('x-tenant'))],
    behaviors: ['adds-host', 'adds-amz', 'adds-allowed'].map((name) => ({ pathPattern: `/${name}`, originId: 'o', functions: { 'origin-request': { name } } })),
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test.each([['adds-host', 'host'], ['adds-amz', 'x-amz-cf-id']])('%s: an origin custom header CloudFront refuses answers 502 and reaches no origin', async (name, header) => {
  const before = origin.seen.length;
  const res = await send(`${edge.url}/${name}`);
  const line = await expectErrorResponse(edge, res, { status: 502, cacheStatus: 'LambdaValidationError', code: 'VERGE_ERR_FUNCTION_INVALID_RESULT', fn: { name, eventType: 'origin-request' } });
  expect(line.msg).toContain(`the ${header} header cannot be added to origin requests`);
  expect(origin.seen.length).toBe(before);
});

test('an allowed origin custom header reaches the origin', async () => {
  const res = await send(`${edge.url}/adds-allowed`);
  expect(res.status).toBe(200);
  expect(origin.seen.at(-1)!.headers['x-tenant']).toBe('from-function');
});
