import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useCloudFrontFunctionEdge } from '../../../test/helpers/cff-edge.ts';
import { send } from '../../../test/helpers/harness.ts';

const env = useCloudFrontFunctionEdge('add-security-headers', fileURLToPath(new URL('./index.js', import.meta.url)), 'viewer-response', {
  originHandler: (_req, res) => {
    res.writeHead(200, [['Content-Type', 'text/html'], ['Set-Cookie', 'sid=abc; Path=/; HttpOnly'], ['Set-Cookie', 'theme=dark']].flat());
    res.end('<p>hello</p>');
  },
});

test('an async viewer-response function adds the six headers, Title-Cased, and keeps the body', async () => {
  const res = await send(`${env.edge.url}/`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('<p>hello</p>');
  expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubdomains; preload');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-xss-protection']).toBe('1; mode=block');
  for (const name of ['Strict-Transport-Security', 'Content-Security-Policy', 'X-Content-Type-Options', 'X-Frame-Options', 'X-Xss-Protection', 'Referrer-Policy']) {
    expect(res.rawHeaders).toContain(name);
  }
  expect(res.headers['x-cache']).toBe('Miss from verge');
});

test('Set-Cookie headers pass through the cookies object with their attributes', async () => {
  const res = await send(`${env.edge.url}/`);
  expect(res.headers['set-cookie']).toEqual(['sid=abc; Path=/; HttpOnly', 'theme=dark']);
});
