// cache-control — for the origin-response event.
//
// Gives successful (2xx) responses that carry no Cache-Control a default of five minutes, so an
// origin that forgets caching headers is still cached. Responses with their own Cache-Control, and
// every non-2xx response (redirects, 304s, errors), are left exactly as the origin sent them.
//
// Attach it in YAML:
//   functions:
//     - { name: cache-control, code: ./edge-functions/cache-control/index.js }
//   behaviors:
//     - pathPattern: "*"
//       originId: site
//       functions:
//         origin-response: { name: cache-control }
//
// origin-response runs before the cache stores the response, so the default applies to the edge
// cache and to browsers alike.
'use strict';

const DEFAULT_CACHE_CONTROL = 'public, max-age=300';

exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  const status = Number(response.status);
  const existing = response.headers['cache-control'];
  if (status >= 200 && status < 300 && (existing === undefined || existing.length === 0)) {
    response.headers['cache-control'] = [{ key: 'Cache-Control', value: DEFAULT_CACHE_CONTROL }];
  }
  return response;
};
