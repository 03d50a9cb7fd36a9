// viewer-request.js plus the sandbox modules Lambda@Edge code often loads (crypto, querystring), to
// show what they add to a cold start.
'use strict';
const crypto = require('crypto');
const querystring = require('querystring');

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const q = querystring.parse(request.querystring);
  request.headers['x-bench'] = [{ key: 'X-Bench', value: crypto.createHash('sha256').update(String(q.a ?? '')).digest('hex').slice(0, 8) }];
  return request;
};
