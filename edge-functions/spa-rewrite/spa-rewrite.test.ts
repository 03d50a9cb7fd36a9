import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { useFunctionEdge } from '../../test/helpers/function-edge.ts';
import { send } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));

// Attached to every path, so the function's own /app/ check is what keeps other paths apart.
const env = useFunctionEdge('spa-rewrite', code, 'viewer-request', (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`origin served ${req.url}`);
});

async function originUrlFor(path: string): Promise<string> {
  const res = await send(`${env.edge.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.text).toBe(`origin served ${env.origin.seen.at(-1)!.url}`);
  return env.origin.seen.at(-1)!.url;
}

test('an app route without an extension is served from /app/index.html, keeping the query string', async () => {
  expect(await originUrlFor('/app/settings/profile?tab=2')).toBe('/app/index.html?tab=2');
});

test('the app root itself is served from /app/index.html', async () => {
  expect(await originUrlFor('/app/')).toBe('/app/index.html');
});

test('a dot in an earlier segment does not count as a file extension', async () => {
  expect(await originUrlFor('/app/v1.2/settings')).toBe('/app/index.html');
});

test('a file with an extension under /app/ passes through', async () => {
  expect(await originUrlFor('/app/assets/main.js')).toBe('/app/assets/main.js');
  expect(await originUrlFor('/app/v1.2/app.css?v=3')).toBe('/app/v1.2/app.css?v=3');
});

test('paths outside /app/ pass through, including look-alikes', async () => {
  expect(await originUrlFor('/about/team')).toBe('/about/team');
  expect(await originUrlFor('/application/x')).toBe('/application/x');
  expect(await originUrlFor('/app')).toBe('/app');
});
