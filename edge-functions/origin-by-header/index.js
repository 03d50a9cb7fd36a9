// origin-by-header — for the origin-request event.
//
// Sends a request to another origin when its x-origin header names one in the ORIGINS table below
// (`x-origin: secondary`). The table is the only source of destinations: the header picks an entry,
// it never supplies a host, so a viewer cannot point the edge at an address of its choosing. Requests
// without the header, or naming an origin not in the table, go to the behavior's own origin.
//
// Attach it in YAML (origin events allow up to 10240 MB and 30000 ms):
//   functions:
//     - { name: origin-by-header, code: ./edge-functions/origin-by-header/index.js }
//   behaviors:
//     - pathPattern: /api/*
//       originId: site
//       functions:
//         origin-request: { name: origin-by-header }
//
// On CloudFront, x-origin reaches origin-request only if the origin request policy forwards it.

'use strict';

// ORIGINS-TABLE-BEGIN (tests substitute this block to point at a test origin)
/**
 * Name (the x-origin value) → custom origin, in the shape of `request.origin.custom`. `path` is a base
 * path prefixed to every URI: '' or '/like-this' (no trailing slash).
 */
const ORIGINS = {
  secondary: { domainName: '127.0.0.1', port: 8082, protocol: 'http', path: '' },
};
// ORIGINS-TABLE-END

const own = Object.prototype.hasOwnProperty;
const DEFAULT_PORT = { http: 80, https: 443 };

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const name = request.headers['x-origin']?.[0]?.value.trim();
  // An own-property check: `x-origin: constructor` must not find Object.prototype.constructor.
  if (name === undefined || !own.call(ORIGINS, name)) return request;
  const target = ORIGINS[name];
  const custom = request.origin.custom;
  custom.domainName = target.domainName;
  custom.port = target.port;
  custom.protocol = target.protocol;
  custom.path = target.path;
  // RFC 9110 §7.2: Host carries the port when it is not the scheme's default, as CloudFront's own
  // Host for a custom origin does.
  const host = target.port === DEFAULT_PORT[target.protocol] ? target.domainName : `${target.domainName}:${target.port}`;
  request.headers.host = [{ key: 'Host', value: host }];
  return request;
};
