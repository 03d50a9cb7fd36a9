// jwt-verify — for the viewer-request event.
//
// Lets a request through only with a valid JSON Web Token (RFC 7519) in `Authorization: Bearer …`,
// signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256) or ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4)
// by one of the keys in JWKS below, issued by ISSUER for AUDIENCE and within its exp/nbf window.
// Signatures are checked with crypto.subtle (Web Crypto), which Lambda@Edge's Node.js runtime offers
// as well. A valid token's subject goes to the origin as `x-jwt-sub` (a viewer cannot forge it: the
// header is always overwritten); anything else is answered at the edge with 401 and a
// `WWW-Authenticate: Bearer error="invalid_token"` challenge (RFC 6750 §3), never reaching the origin.
//
// Attach it in YAML:
//   functions:
//     - { name: jwt-verify, code: ./edge-functions/jwt-verify/index.js }
//   behaviors:
//     - pathPattern: /api/*
//       originId: site
//       functions:
//         viewer-request: { name: jwt-verify }
'use strict';

const ISSUER = 'https://auth.example.com/';
const AUDIENCE = 'verge-demo';
/** Clock skew tolerated on exp and nbf, in seconds. */
const LEEWAY_S = 30;

/** Public keys by `kid` (a JWKS as an identity provider publishes it). Replace with your own. */
const JWKS = [
  { kty: 'RSA', kid: 'rsa-2026', alg: 'RS256', use: 'sig', e: 'AQAB',
    n: 'n0cX_3yjysIWOsfV4rrZgmHZPJkGtNdeua-0BRr5z5WHljRStYnPK9nQ-SGDgnhRiaQw_yrDZlkOPGZKWfHMsxVflTbAFB1cR2eKUsWDLR3fIbXPcHgCtk8aphoIMRfQxpDmXsfprud8kTt5EeOHlI344wB-eRvPpOrDHCZ_ecxNmImYAUdOPkbeMVwU5Ztz5ASpiw28_1nI36k5BnqsST-hDjHLpT2qQv64ciLW7DPT8hcIA5pl9EuNoEH0PPXYEIynNVNWTsZtaRaW8lwxlClJeLDMIb0q_V6vieIUtKnqd7Dn_wiFSwRLC8YXjpjnFG_voH18zDL5Z7EMXZXQ2w' },
  { kty: 'EC', kid: 'ec-2026', alg: 'ES256', use: 'sig', crv: 'P-256', x: 'qviKPvmi332NSoujlVr5gTQqHuFNHCq0Zkow7Csei-c', y: 'QNdSq0irG5pZjG1ZdehnK-GgeAKhtAd7WqFp4Nwlqg4' },
];

/** JWS `alg` → the Web Crypto algorithms to import the key with and to verify with. */
const ALGORITHMS = {
  RS256: { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, verifyAs: { name: 'RSASSA-PKCS1-v1_5' } },
  ES256: { importAs: { name: 'ECDSA', namedCurve: 'P-256' }, verifyAs: { name: 'ECDSA', hash: 'SHA-256' } },
};

/** Imported once per execution environment and reused by every request it serves. */
const importedKeys = new Map();

function keyFor(kid, alg) {
  const jwk = JWKS.find((k) => k.kid === kid);
  // The key fixes the algorithm: a token cannot pick a weaker one for a key (RFC 8725 §3.1).
  if (jwk === undefined || jwk.alg !== alg) return undefined;
  let key = importedKeys.get(kid);
  if (key === undefined) {
    key = crypto.subtle.importKey('jwk', jwk, ALGORITHMS[alg].importAs, false, ['verify']);
    importedKeys.set(kid, key);
  }
  return key;
}

/** base64url (RFC 4648 §5) → bytes. */
function base64UrlBytes(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error('bad base64url');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let n = 0;
  for (const ch of text) {
    value = (value << 6) | alphabet.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (value >> bits) & 0xff;
    }
  }
  return out.subarray(0, n);
}

function base64UrlJson(text) {
  const binary = String.fromCharCode(...base64UrlBytes(text));
  return JSON.parse(decodeURIComponent(escape(binary))); // UTF-8 bytes → string
}

/** The token's claims if it is valid now, or a reason for the 401. */
async function verify(token) {
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'malformed token' };
  let header;
  let claims;
  let signature;
  try {
    header = base64UrlJson(parts[0]);
    claims = base64UrlJson(parts[1]);
    signature = base64UrlBytes(parts[2]);
  } catch {
    return { error: 'malformed token' };
  }
  const algorithm = ALGORITHMS[header.alg];
  const key = algorithm === undefined ? undefined : keyFor(header.kid, header.alg);
  if (key === undefined) return { error: 'unknown key or algorithm' };
  const signed = Uint8Array.from(parts[0] + '.' + parts[1], (c) => c.charCodeAt(0));
  if (!(await crypto.subtle.verify(algorithm.verifyAs, await key, signature, signed))) return { error: 'bad signature' };
  const now = Date.now() / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_S < now) return { error: 'token expired' };
  if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_S > now) return { error: 'token not yet valid' };
  if (claims.iss !== ISSUER) return { error: 'wrong issuer' };
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(AUDIENCE)) return { error: 'wrong audience' };
  return { claims };
}

function unauthorized(description) {
  return {
    status: '401',
    statusDescription: 'Unauthorized',
    headers: {
      'www-authenticate': [{ key: 'WWW-Authenticate', value: `Bearer error="invalid_token", error_description="${description}"` }],
      'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
      'content-type': [{ key: 'Content-Type', value: 'text/plain' }],
    },
    body: `Unauthorized: ${description}\n`,
  };
}

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const authorization = request.headers.authorization?.[0]?.value ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (match === null) {
    const response = unauthorized('missing bearer token');
    response.headers['www-authenticate'][0].value = 'Bearer';
    return response;
  }
  const result = await verify(match[1]);
  if (result.error !== undefined) return unauthorized(result.error);
  request.headers['x-jwt-sub'] = [{ key: 'X-Jwt-Sub', value: String(result.claims.sub) }];
  return request;
};
