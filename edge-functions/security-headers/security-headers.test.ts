import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

const env = useFunctionEdge('security-headers', code, 'viewer-response', (req, res) => {
  if (req.url === '/framed') {
    // A page that must be framed by its own site sets a looser policy itself.
    res.writeHead(200, { 'Content-Type': 'text/html', 'x-frame-options': 'SAMEORIGIN', 'Content-Security-Policy': "default-src 'self' https://cdn.example" });
    res.end('<p>framed</p>');
  } else if (req.url === '/missing') {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not here');
  } else {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<p>hello</p>');
  }
});

test('a response without security headers gets all six, with the documented values', async () => {
  const res = await send(`${env.edge.url}/`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('<p>hello</p>');
  expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
  expect(res.headers['content-security-policy']).toMatch(/^default-src 'self'(;|$)/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['referrer-policy']).toBe('same-origin');
  expect(res.headers['permissions-policy']).toContain('camera=()');
});

test('the added headers go out with their canonical capitalisation', async () => {
  const res = await send(`${env.edge.url}/`);
  for (const name of ['Strict-Transport-Security', 'Content-Security-Policy', 'X-Content-Type-Options', 'X-Frame-Options', 'Referrer-Policy', 'Permissions-Policy']) {
    expect(res.rawHeaders).toContain(name);
  }
});

test('a header the origin already set is kept, not overwritten or duplicated', async () => {
  const res = await send(`${env.edge.url}/framed`);
  expect(res.status).toBe(200);
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(res.headers['content-security-policy']).toBe("default-src 'self' https://cdn.example");
  const rawNames = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  expect(rawNames.filter((n) => n === 'x-frame-options')).toHaveLength(1);
  expect(rawNames.filter((n) => n === 'content-security-policy')).toHaveLength(1);
  // The headers the origin did not set are still added.
  expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
});

test('an origin error page goes out untouched, since CloudFront skips viewer-response for status 400 and above', async () => {
  const res = await send(`${env.edge.url}/missing`);
  expect(res.status).toBe(404);
  expect(res.text).toBe('not here');
  expect(res.headers['strict-transport-security']).toBeUndefined();
  expect(res.headers['x-frame-options']).toBeUndefined();
});
