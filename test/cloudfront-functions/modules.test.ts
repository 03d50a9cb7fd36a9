import { createHash, createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../helpers/cff-edge.ts';
import { functionFile, send } from '../helpers/harness.ts';

// The modules of JavaScript runtime 2.0, by import and by require: crypto (createHash, createHmac with
// md5, sha1, sha256; hex, base64, base64url), querystring and Buffer (base64url included).
const code = functionFile(`import crypto from 'crypto';
import cf from 'cloudfront';
var qs = require('querystring');
var buffer = require('buffer');
function handler(event) {
  var out = {};
  ['md5', 'sha1', 'sha256'].forEach(function (alg) {
    out[alg] = crypto.createHash(alg).update('verge').digest('hex');
    out['hmac-' + alg] = crypto.createHmac(alg, 'key').update('verge').digest('base64');
  });
  out.b64url = crypto.createHash('sha256').update('verge').digest('base64url');
  out.qs = qs.stringify({ a: 'x y', b: ['1', '2'] });
  out.parsed = qs.parse('a=1&b=2&b=3');
  out.buf = Buffer.from('hello?>', 'utf8').toString('base64url');
  out.same = buffer.Buffer === Buffer;
  out.cf = typeof cf.selectRequestOriginById;
  event.request.headers['x-out'] = { value: encodeURIComponent(JSON.stringify(out)) };
  return event.request;
}`);

const env = useCloudFrontFunctionEdge('modules', code, 'viewer-request');

test('crypto, querystring, Buffer and cloudfront behave as in CloudFront Functions', async () => {
  const res = await send(`${env.edge.url}/`);
  expect(res.status).toBe(200);
  const out = JSON.parse(decodeURIComponent(String(env.origin.seen.at(-1)!.headers['x-out'])));
  for (const alg of ['md5', 'sha1', 'sha256']) {
    expect(out[alg]).toBe(createHash(alg).update('verge').digest('hex'));
    expect(out[`hmac-${alg}`]).toBe(createHmac(alg, 'key').update('verge').digest('base64'));
  }
  expect(out.b64url).toBe(createHash('sha256').update('verge').digest('base64url'));
  expect(out.qs).toBe('a=x%20y&b=1&b=2');
  expect(out.parsed).toEqual({ a: '1', b: ['2', '3'] });
  expect(out.buf).toBe(Buffer.from('hello?>').toString('base64url'));
  expect(out.same).toBe(true);
  expect(out.cf).toBe('function');
});
