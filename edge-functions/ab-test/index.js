// ab-test — for the viewer-request event.
//
// Puts each viewer in experiment group A or B. The group comes from the cookie X-Experiment-Name
// when the viewer has one (so a returning viewer always sees the same variant); a viewer without it
// (or with an unknown value) is assigned one at random, half and half. The group is sent to the
// origin as the request header x-experiment-variant, replacing any value the viewer sent.
//
// To make the choice stick, the origin answers with `Set-Cookie: X-Experiment-Name=<group>` when the
// request had no such cookie. To cache per variant, put x-experiment-variant in the cache key.
//
// Attach it in YAML (viewer events allow at most 128 MB and 5000 ms):
//   functions:
//     - { name: ab-test, code: ./edge-functions/ab-test/index.js }
//   behaviors:
//     - pathPattern: "*"
//       originId: site
//       functions:
//         viewer-request: { name: ab-test }
'use strict';

const COOKIE_NAME = 'X-Experiment-Name';
const GROUPS = ['A', 'B'];

/** The value of cookie `name` in the request's Cookie headers (RFC 6265 §4.2.1: `a=1; b=2`), or undefined. */
function readCookie(headers, name) {
  const entries = headers.cookie;
  if (entries === undefined) return undefined;
  // A viewer may send several Cookie headers; CloudFront passes each as its own entry.
  for (const entry of entries) {
    for (const pair of entry.value.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1) continue;
      // Cookie names are case-sensitive (RFC 6265 §5.4); only surrounding spaces are ignored.
      if (pair.slice(0, eq).trim() !== name) continue;
      let value = pair.slice(eq + 1).trim();
      if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
      return value;
    }
  }
  return undefined;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const fromCookie = readCookie(request.headers, COOKIE_NAME);
  const group = GROUPS.includes(fromCookie) ? fromCookie : Math.random() < 0.5 ? 'A' : 'B';
  // Set, not appended: a viewer must not pick its own variant by sending the header itself.
  request.headers['x-experiment-variant'] = [{ key: 'X-Experiment-Variant', value: group }];
  return request;
};
