import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

/** The origin answers /status/<code>[/cc/<value>] with that status and, if given, that Cache-Control. */
const env = useFunctionEdge('cache-control', code, 'origin-response', (req, res) => {
  const match = /^\/status\/(\d{3})(?:\/cc\/(.+))?$/.exec(req.url ?? '');
  const status = match ? Number(match[1]) : 200;
  const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
  if (match?.[2] !== undefined) headers['cache-control'] = decodeURIComponent(match[2]);
  if (status >= 300 && status < 400) headers.Location = '/elsewhere';
  res.writeHead(status, headers);
  res.end(status === 204 || status === 304 ? undefined : `status ${status}`);
});

test('a 200 without Cache-Control gets public, max-age=300 and keeps its body', async () => {
  const res = await send(`${env.edge.url}/status/200`);
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('public, max-age=300');
  expect(res.rawHeaders).toContain('Cache-Control');
  expect(res.text).toBe('status 200');
});

test('every 2xx status gets the default, not only 200', async () => {
  for (const status of [201, 203, 204, 206]) {
    const res = await send(`${env.edge.url}/status/${status}`);
    expect(res.status).toBe(status);
    expect(res.headers['cache-control'], `status ${status}`).toBe('public, max-age=300');
  }
});

test("a 2xx with the origin's own Cache-Control keeps it unchanged", async () => {
  const res = await send(`${env.edge.url}/status/200/cc/${encodeURIComponent('no-store')}`);
  expect(res.status).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  const names = res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  expect(names.filter((n) => n === 'cache-control')).toHaveLength(1);
});

test('redirects, not-modified and error responses get no Cache-Control', async () => {
  for (const status of [301, 302, 304, 404, 500, 503]) {
    const res = await send(`${env.edge.url}/status/${status}`);
    expect(res.status).toBe(status);
    expect(res.headers['cache-control'], `status ${status}`).toBeUndefined();
  }
});

test("a non-2xx response keeps the origin's own Cache-Control", async () => {
  const res = await send(`${env.edge.url}/status/404/cc/${encodeURIComponent('max-age=10')}`);
  expect(res.status).toBe(404);
  expect(res.headers['cache-control']).toBe('max-age=10');
});
