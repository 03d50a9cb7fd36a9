import { afterAll, beforeAll, expect, test } from 'vitest';
import { fn } from '../helpers/cf-fixtures.ts';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// An origin-request function may switch the request to an S3 origin (`request.origin = { s3: … }`), as
// CloudFront's content-based routing examples do. A public bucket (`authMethod: "none"`) is fetched
// over HTTPS on port 443 like a custom origin; signed access and an origin with both kinds are refused.
// No S3 here: the bucket's domain name is 127.0.0.1, where nothing listens on 443, so the request is
// seen going to https://127.0.0.1:443 and failing to connect, which shows the switch took place.

let origin: TestOrigin;
let edge: TestEdge;

const toBucket = (s3: string) => `exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  if (request.querystring === 'bucket=1') request.origin = { s3: ${s3} };
  callback(null, request);
};`;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn('public-bucket', toBucket(`{ domainName: '127.0.0.1', region: '', authMethod: 'none', path: '/assets', customHeaders: {} }`)),
      fn('signed-bucket', toBucket(`{ domainName: '127.0.0.1', region: 'eu-west-1', authMethod: 'origin-access-identity', path: '', customHeaders: {} }`)),
      fn(
        'both-kinds',
        `exports.handler = async (event) => {
          const request = event.Records[0].cf.request;
          request.origin.s3 = { domainName: '127.0.0.1', authMethod: 'none', path: '', customHeaders: {} };
          return request;
        };`,
      ),
    ],
    behaviors: [
      { pathPattern: '/public/*', originId: 'o', functions: { 'origin-request': { name: 'public-bucket' } } },
      { pathPattern: '/signed/*', originId: 'o', functions: { 'origin-request': { name: 'signed-bucket' } } },
      { pathPattern: '/both/*', originId: 'o', functions: { 'origin-request': { name: 'both-kinds' } } },
    ],
  });
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('a public S3 origin set by the function is fetched over https on port 443', async () => {
  const before = origin.seen.length;
  const res = await send(`${edge.url}/public/a.png?bucket=1`);
  expect(res.status).toBe(502);
  expect(res.text).toContain('VERGE_ERR_ORIGIN_UNREACHABLE');
  const id = /Request ID: (\S+)/.exec(res.text)![1];
  const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === id));
  expect(line.origin).toBe('https://127.0.0.1:443');
  expect(origin.seen.length).toBe(before);
});

test('without the switch the behavior\'s origin answers', async () => {
  const res = await send(`${edge.url}/public/a.png`);
  expect(res.status).toBe(200);
  expect(origin.seen.at(-1)!.url).toBe('/public/a.png');
});

test('signed S3 access (origin-access-identity) is refused with a 502 that says why', async () => {
  const res = await send(`${edge.url}/signed/a.png?bucket=1`);
  expect(res.status).toBe(502);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_INVALID_RESULT');
  const id = /Request ID: (\S+)/.exec(res.text)![1];
  const line = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === id));
  expect(line.msg).toContain('cannot sign S3 requests');
});

test('an origin with both custom and s3 is refused', async () => {
  const res = await send(`${edge.url}/both/a.png`);
  expect(res.status).toBe(502);
  expect(res.text).toContain('VERGE_ERR_FUNCTION_INVALID_RESULT');
});
