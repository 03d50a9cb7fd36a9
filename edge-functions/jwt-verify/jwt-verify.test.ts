import { createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';
import { EC_PRIVATE_PEM, RSA_PRIVATE_PEM } from './test-keys.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('jwt-verify', code, 'viewer-request');

const RSA = createPrivateKey(RSA_PRIVATE_PEM);
const EC = createPrivateKey(EC_PRIVATE_PEM);
const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/** Signs a JWT on the host with node:crypto, as an identity provider would. */
function jwt(alg: 'RS256' | 'ES256', kid: string, claims: Record<string, unknown>, key: KeyObject = alg === 'RS256' ? RSA : EC): string {
  const input = `${b64url(JSON.stringify({ alg, typ: 'JWT', kid }))}.${b64url(JSON.stringify(claims))}`;
  const signature = alg === 'RS256' ? sign('sha256', Buffer.from(input), key) : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(signature)}`;
}

const now = () => Math.floor(Date.now() / 1000);
const valid = () => ({ sub: 'user-42', name: 'Zoë ✓', iss: 'https://auth.example.com/', aud: 'verge-demo', exp: now() + 300, iat: now() });

async function call(token?: string, headers: Record<string, string> = {}) {
  return send(`${env.edge.url}/api/orders`, { headers: token === undefined ? headers : { Authorization: `Bearer ${token}`, ...headers } });
}

test('an RS256 token signed by a listed key reaches the origin with its subject', async () => {
  const res = await call(jwt('RS256', 'rsa-2026', valid()), { 'X-Jwt-Sub': 'forged' });
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello from origin');
  expect(env.origin.seen.at(-1)!.headers['x-jwt-sub']).toBe('user-42');
});

test('an ES256 token signed by a listed key reaches the origin, on a warm isolate whose keys are already imported', async () => {
  for (let i = 0; i < 2; i++) {
    const res = await call(jwt('ES256', 'ec-2026', { ...valid(), sub: `ec-${i}`, aud: ['other', 'verge-demo'] }));
    expect(res.status).toBe(200);
    expect(env.origin.seen.at(-1)!.headers['x-jwt-sub']).toBe(`ec-${i}`);
  }
});

test('a request without a token gets a bare Bearer challenge and never reaches the origin', async () => {
  const before = env.origin.seen.length;
  const res = await call();
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer');
  expect(res.headers['x-cache']).toBe('LambdaGeneratedResponse from verge');
  expect(env.origin.seen.length).toBe(before);
});

const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const REJECTED: ReadonlyArray<readonly [string, () => string, string]> = [
  ['a token signed by a key not in the JWKS', () => jwt('RS256', 'rsa-2026', valid(), other), 'bad signature'],
  ['a token with a tampered payload', () => {
    const [h, , s] = jwt('ES256', 'ec-2026', valid()).split('.');
    return `${h}.${b64url(JSON.stringify({ ...valid(), sub: 'admin' }))}.${s}`;
  }, 'bad signature'],
  ['an expired token', () => jwt('RS256', 'rsa-2026', { ...valid(), exp: now() - 120 }), 'token expired'],
  ['a token not valid yet', () => jwt('ES256', 'ec-2026', { ...valid(), nbf: now() + 600 }), 'token not yet valid'],
  ['a token for another audience', () => jwt('RS256', 'rsa-2026', { ...valid(), aud: 'someone-else' }), 'wrong audience'],
  ['a token from another issuer', () => jwt('RS256', 'rsa-2026', { ...valid(), iss: 'https://evil.example/' }), 'wrong issuer'],
  ['a token naming an RSA key with ES256 (algorithm confusion)', () => jwt('ES256', 'rsa-2026', valid()), 'unknown key or algorithm'],
  ['an unsigned token (alg none)', () => `${b64url(JSON.stringify({ alg: 'none', kid: 'rsa-2026' }))}.${b64url(JSON.stringify(valid()))}.`, 'unknown key or algorithm'],
  ['garbage', () => 'not.a.jwt!', 'malformed token'],
];

for (const [what, token, reason] of REJECTED) {
  test(`${what} is answered 401 (${reason}) at the edge`, async () => {
    const before = env.origin.seen.length;
    const res = await call(token());
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toBe(`Unauthorized: ${reason}\n`);
    expect(env.origin.seen.length).toBe(before);
  });
}
