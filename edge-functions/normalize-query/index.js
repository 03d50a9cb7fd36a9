// normalize-query — for the viewer-request event.
//
// Makes equivalent query strings identical before they reach the cache and the origin: the whole
// query string is lower-cased and its parameters are put in alphabetical order, so `?B=2&a=1` and
// `?a=1&b=2` become one cache key. A parameter given several times keeps all its values, in the
// order the viewer sent them. Written in the style of a classic Lambda@Edge function: a callback
// handler using Node's `querystring` module (the same approach as the "normalize query string
// parameters" example in the CloudFront Developer Guide).
//
// Attach it in YAML:
//   functions:
//     - { name: normalize-query, code: ./edge-functions/normalize-query/index.js }
//   behaviors:
//     - pathPattern: "*"
//       originId: site
//       functions:
//         viewer-request: { name: normalize-query }
'use strict';

const querystring = require('querystring');

function normalize(query) {
  // Lower-case first, so that `A` and `a` are one parameter.
  const parsed = querystring.parse(query.toLowerCase());
  const ordered = {};
  for (const name of Object.keys(parsed).sort()) {
    ordered[name] = parsed[name];
  }
  return querystring.stringify(ordered);
}

exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  if (request.querystring !== '') {
    console.log('normalizing query string', request.querystring);
    request.querystring = normalize(request.querystring);
  }
  callback(null, request);
};
