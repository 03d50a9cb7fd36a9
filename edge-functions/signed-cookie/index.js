// signed-cookie — for the viewer-request event.
//
// Lets a request through only with a valid signed session cookie, in the style of the signed-token
// checks published for Lambda@Edge: `session=<payload>.<signature>`, where the payload is base64url
// JSON ({"sub": …, "exp": <epoch seconds>}) and the signature is the base64url HMAC-SHA256 of the
// payload with a shared secret. A missing, forged or expired cookie gets a generated 403; a valid one
// reaches the origin with the user in `x-user`. The comparison is constant-time (crypto.timingSafeEqual).
//
// Keep the secret out of source control in a real deployment (Lambda@Edge has no environment
// variables: bundle it at build time or read it from your config system).
//
// Attach it in YAML:
//   functions:
//     - { name: signed-cookie, code: ./edge-functions/signed-cookie/index.js }
//   behaviors:
//     - pathPattern: /members/*
//       originId: site
//       functions:
//         viewer-request: { name: signed-cookie }
'use strict';

const crypto = require('crypto');

const SECRET = 'replace-me-with-a-long-random-secret';

function sign(payload) {
  return crypto.createHmac('sha256', SECRET).update(payload).digest('base64url');
}

function cookie(headers, name) {
  for (const { value } of headers.cookie || []) {
    for (const part of value.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

function verify(token) {
  if (!token) return undefined;
  const dot = token.lastIndexOf('.');
  if (dot === -1) return undefined;
  const payload = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(sign(payload), 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return undefined;
  let claims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch (err) {
    return undefined;
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return undefined;
  return claims;
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const claims = verify(cookie(request.headers, 'session'));
  if (claims === undefined) {
    return {
      status: '403',
      statusDescription: 'Forbidden',
      headers: { 'content-type': [{ key: 'Content-Type', value: 'text/plain' }] },
      body: 'A valid session is required.',
    };
  }
  request.headers['x-user'] = [{ key: 'X-User', value: String(claims.sub) }];
  return request;
};

// For tests and for the service that issues sessions.
exports.sign = sign;
