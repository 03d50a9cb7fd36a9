import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));
const SECRET = 'replace-me-with-a-long-random-secret';

const env = useFunctionEdge('signed-cookie', code, 'viewer-request');

/** A session cookie signed by the host's own crypto, as the service issuing sessions would. */
function session(claims: object, secret = SECRET): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `session=${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('a valid session reaches the origin with the user named', async () => {
  const res = await send(`${env.edge.url}/members/page`, { headers: { Cookie: `theme=dark; ${session({ sub: 'alice', exp: inAnHour() })}` } });
  expect(res.status).toBe(200);
  expect(env.origin.seen.at(-1)!.headers['x-user']).toBe('alice');
});

test('no cookie gets a generated 403 and the origin is not asked', async () => {
  const before = env.origin.seen.length;
  const res = await send(`${env.edge.url}/members/page`);
  expect(res.status).toBe(403);
  expect(res.text).toBe('A valid session is required.');
  expect(env.origin.seen.length).toBe(before);
});

test('a session signed with another secret is refused', async () => {
  const res = await send(`${env.edge.url}/members/page`, { headers: { Cookie: session({ sub: 'mallory', exp: inAnHour() }, 'guessed-secret') } });
  expect(res.status).toBe(403);
});

test('a tampered payload is refused', async () => {
  const good = session({ sub: 'alice', exp: inAnHour() });
  const forged = good.replace(/session=[^.]+/, `session=${Buffer.from(JSON.stringify({ sub: 'admin', exp: inAnHour() })).toString('base64url')}`);
  expect((await send(`${env.edge.url}/members/page`, { headers: { Cookie: forged } })).status).toBe(403);
});

test('an expired session is refused', async () => {
  const res = await send(`${env.edge.url}/members/page`, { headers: { Cookie: session({ sub: 'alice', exp: Math.floor(Date.now() / 1000) - 1 }) } });
  expect(res.status).toBe(403);
});
