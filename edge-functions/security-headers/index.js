// security-headers — for the viewer-response event.
//
// Adds the browser security headers every HTML response should carry (HSTS, CSP, nosniff, framing,
// referrer and permissions policies). A header the origin already set wins: the function only fills
// in what is missing, so a page that needs a looser policy can send its own.
//
// Attach it in YAML (viewer events allow at most 128 MB and 5000 ms):
//   functions:
//     - { name: security-headers, code: ./edge-functions/security-headers/index.js }
//   behaviors:
//     - pathPattern: "*"
//       originId: site
//       functions:
//         viewer-response: { name: security-headers }
//
// CloudFront runs viewer-response only for origin statuses below 400, so error pages go out as the
// origin sent them.
'use strict';

/** Header name (as sent) → value. Edit here; the lowercase object key is derived from the name. */
const SECURITY_HEADERS = [
  // Two years, the minimum the HSTS preload list accepts (hstspreload.org).
  ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains; preload'],
  ['Content-Security-Policy', "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()'],
];

exports.handler = async (event) => {
  const response = event.Records[0].cf.response;
  const headers = response.headers;
  for (const [key, value] of SECURITY_HEADERS) {
    const name = key.toLowerCase();
    const existing = headers[name];
    if (existing === undefined || existing.length === 0) headers[name] = [{ key, value }];
  }
  return response;
};
