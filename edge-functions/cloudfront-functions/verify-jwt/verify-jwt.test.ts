import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('verify-jwt', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-request');

function sign(payload: object, secret = 'verge-example-secret'): string {
  const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${head}.${body}.${createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url')}`;
}

test('a valid token passes; the jwt parameter is removed and the subject forwarded', async () => {
  const token = sign({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 });
  const res = await send(`${env.edge.url}/private?jwt=${token}&page=2`);
  expect(res.status).toBe(200);
  const seen = env.origin.seen.at(-1)!;
  expect(seen.url).toBe('/private?page=2');
  expect(seen.headers['x-user']).toBe('alice');
});

test.each([
  ['no token', '', 'missing token'],
  ['a token signed with another secret', `?jwt=${sign({ sub: 'mallory' }, 'guess')}`, 'bad signature'],
  ['an expired token', `?jwt=${sign({ sub: 'bob', exp: 1 })}`, 'expired'],
  ['a malformed token', '?jwt=abc', 'malformed token'],
])('%s is answered 401 at the edge', async (_what, query, reason) => {
  const before = env.origin.seen.length;
  const res = await send(`${env.edge.url}/private${query}`);
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toContain(reason);
  expect(env.origin.seen.length).toBe(before);
});
