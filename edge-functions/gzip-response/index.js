// gzip-response — for the viewer-request (or origin-request) event.
//
// Generates a response at the edge and compresses it with gzip, as in the Lambda@Edge examples that
// serve generated content: `zlib.gzipSync`, the body in base64 with `bodyEncoding: 'base64'`, and
// `Content-Encoding: gzip`. Viewers that do not accept gzip get the same page uncompressed.
// Generated bodies are limited to 40 KB at viewer events (CloudFront's quota), which compression
// helps to stay under.
//
// Attach it in YAML:
//   functions:
//     - { name: gzip-response, code: ./edge-functions/gzip-response/index.js }
//   behaviors:
//     - pathPattern: /status
//       originId: site
//       functions:
//         viewer-request: { name: gzip-response }
'use strict';

const zlib = require('zlib');

function page(request) {
  const rows = [];
  for (let i = 1; i <= 200; i++) rows.push(`<li>Item ${i} of the generated list</li>`);
  return `<!doctype html><html><head><title>Status</title></head><body><h1>Generated at the edge</h1><p>${request.uri}</p><ul>${rows.join('')}</ul></body></html>`;
}

function acceptsGzip(headers) {
  return (headers['accept-encoding'] || []).some(({ value }) => /(^|,)\s*gzip\s*(;\s*q=(?!0(\.0*)?\s*($|,))|,|$)/i.test(value));
}

exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  const html = page(request);
  const headers = {
    'content-type': [{ key: 'Content-Type', value: 'text/html; charset=utf-8' }],
    'vary': [{ key: 'Vary', value: 'Accept-Encoding' }],
  };
  if (!acceptsGzip(request.headers)) {
    callback(null, { status: '200', statusDescription: 'OK', headers, body: html });
    return;
  }
  headers['content-encoding'] = [{ key: 'Content-Encoding', value: 'gzip' }];
  callback(null, {
    status: '200',
    statusDescription: 'OK',
    headers,
    body: zlib.gzipSync(html).toString('base64'),
    bodyEncoding: 'base64',
  });
};
