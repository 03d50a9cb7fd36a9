// normalize-query — for the viewer-request event.
//
// AWS's published example "Normalize query string parameters to improve the cache hit ratio"
// (Lambda@Edge example functions, "Query strings"), unchanged but for this comment: lowercases the
// query string and sorts its parameters, so `?B=2&a=1` and `?a=1&b=2` become one cache key.
// Callback style, with Node's `querystring` module.
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

exports.handler = (event, context, callback) => {
  const request = event.Records[0].cf.request;
  /* When you configure a distribution to forward query strings to the origin and
   * to cache based on an allowlist of query string parameters, we recommend
   * the following to improve the cache-hit ratio:
   * - Always list parameters in the same order.
   * - Use the same case for parameter names and values.
   *
   * This function normalizes query strings so that parameter names and values
   * are lowercase and parameter names are in alphabetical order.
   */
  console.log('Query String: ', request.querystring);

  const params = querystring.parse(request.querystring.toLowerCase());
  const sortedParams = {};

  Object.keys(params)
    .sort()
    .forEach((key) => {
      sortedParams[key] = params[key];
    });

  // Update request querystring with normalized
  request.querystring = querystring.stringify(sortedParams);

  callback(null, request);
};
