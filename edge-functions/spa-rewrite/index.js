// spa-rewrite — for the viewer-request event.
//
// A single-page app under /app/ routes in the browser, so /app/settings/profile has no file of its
// own at the origin: every such path is rewritten to /app/index.html (the viewer's URL stays as it
// is; this is a rewrite, not a redirect). A path whose last segment has an extension
// (/app/assets/main.js) is a real file and passes through, as does everything outside /app/.
//
// Attach it in YAML (viewer events allow at most 128 MB and 5000 ms):
//   functions:
//     - { name: spa-rewrite, code: ./edge-functions/spa-rewrite/index.js }
//   behaviors:
//     - pathPattern: /app/*
//       originId: site
//       functions:
//         viewer-request: { name: spa-rewrite }
'use strict';

const APP_PREFIX = '/app/';
const APP_ENTRY = '/app/index.html';

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const uri = request.uri;
  if (!uri.startsWith(APP_PREFIX)) return request;
  // Only the last segment counts: /app/v1.2/settings is a route, /app/v1.2/app.css a file.
  const lastSegment = uri.slice(uri.lastIndexOf('/') + 1);
  if (!lastSegment.includes('.')) request.uri = APP_ENTRY;
  return request;
};
