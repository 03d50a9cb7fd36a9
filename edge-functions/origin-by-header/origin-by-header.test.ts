import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../../test/helpers/harness.ts';

const code = fileURLToPath(new URL('./index.js', import.meta.url));
const source = readFileSync(code, 'utf8');

// The table is the one block of the file that points at real machines; tests swap only that block,
// so every other line that runs is the shipped file's.
const TABLE_BLOCK = /(\/\/ ORIGINS-TABLE-BEGIN[^\n]*\n)[\s\S]*?(\n\/\/ ORIGINS-TABLE-END)/;

function withTable(table: Record<string, unknown>): string {
  expect(source.match(new RegExp(TABLE_BLOCK.source, 'g'))).toHaveLength(1);
  const variant = source.replace(TABLE_BLOCK, `$1const ORIGINS = ${JSON.stringify(table)};$2`);
  expect(variant).not.toBe(source);
  return variant;
}

let primary: TestOrigin;
let secondary: TestOrigin;
let tertiary: TestOrigin;
let edge: TestEdge;

const answerAs = (name: string) => (req: { url?: string }, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end(`${name} ${req.url}`);
};

beforeAll(async () => {
  primary = await startOrigin(answerAs('primary'));
  secondary = await startOrigin(answerAs('secondary'));
  tertiary = await startOrigin(answerAs('tertiary'));
  const variant = withTable({
    secondary: { domainName: '127.0.0.1', port: secondary.port, protocol: 'http', path: '/v2' },
    tertiary: { domainName: '127.0.0.1', port: tertiary.port, protocol: 'http', path: '' },
  });
  edge = await startEdge({
    origins: [{ id: 'primary', url: primary.url }],
    functions: [
      { name: 'origin-by-header', code: functionFile(variant), timeoutMs: 1000 },
      { name: 'origin-by-header-shipped', code, timeoutMs: 1000 },
    ],
    behaviors: [
      { pathPattern: '/shipped/*', originId: 'primary', functions: { 'origin-request': { name: 'origin-by-header-shipped' } } },
      { pathPattern: '*', originId: 'primary', functions: { 'origin-request': { name: 'origin-by-header' } } },
    ],
  });
});
afterAll(async () => {
  await edge.close();
  await Promise.all([primary.close(), secondary.close(), tertiary.close()]);
});

function counts(): number[] {
  return [primary.seen.length, secondary.seen.length, tertiary.seen.length];
}

test('a request naming a known origin goes there, with its base path and its Host', async () => {
  const before = counts();
  const res = await send(`${edge.url}/api/items?q=1`, { headers: { 'X-Origin': 'secondary' } });
  expect(res.status).toBe(200);
  expect(res.text).toBe('secondary /v2/api/items?q=1');
  expect(counts()).toEqual([before[0], before[1]! + 1, before[2]]);
  const seen = secondary.seen.at(-1)!;
  expect(seen.headers.host).toBe(`127.0.0.1:${secondary.port}`);
});

test('the header picks the entry by name', async () => {
  const res = await send(`${edge.url}/api/items`, { headers: { 'X-Origin': 'tertiary' } });
  expect(res.text).toBe('tertiary /api/items');
  expect(tertiary.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${tertiary.port}`);
});

test('a request without the header goes to the behavior origin unchanged', async () => {
  const res = await send(`${edge.url}/api/items?q=2`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('primary /api/items?q=2');
  expect(primary.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${primary.port}`);
});

test('an unknown name, or a name inherited from Object.prototype, goes to the behavior origin', async () => {
  for (const name of ['nowhere', 'Secondary', 'constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    const before = counts();
    const res = await send(`${edge.url}/api/x`, { headers: { 'X-Origin': name } });
    expect(res.status, name).toBe(200);
    expect(res.text, name).toBe('primary /api/x');
    expect(counts(), name).toEqual([before[0]! + 1, before[1], before[2]]);
  }
});

test('the shipped file passes requests without a known name through to the behavior origin', async () => {
  const res = await send(`${edge.url}/shipped/page`, { headers: { 'X-Origin': 'nowhere' } });
  expect(res.status).toBe(200);
  expect(res.text).toBe('primary /shipped/page');
});

test('the shipped table sends "secondary" to 127.0.0.1:8082 over http, as the demo config documents', async () => {
  // Evaluated directly (the edge would need something listening on 8082): same handler, plain event.
  const module = { exports: {} as { handler?: (e: unknown) => Promise<Record<string, unknown>> } };
  new Function('exports', 'module', source)(module.exports, module);
  const request = {
    clientIp: '127.0.0.1',
    method: 'GET',
    uri: '/api/',
    querystring: '',
    headers: { 'x-origin': [{ key: 'X-Origin', value: 'secondary' }], host: [{ key: 'Host', value: 'site:8081' }] },
    origin: { custom: { customHeaders: {}, domainName: 'site', keepaliveTimeout: 5, path: '', port: 8081, protocol: 'http', readTimeout: 30, sslProtocols: ['TLSv1.2'] } },
  };
  const out = (await module.exports.handler!({ Records: [{ cf: { request } }] })) as typeof request;
  expect(out.origin.custom).toMatchObject({ domainName: '127.0.0.1', port: 8082, protocol: 'http', path: '', readTimeout: 30 });
  expect(out.headers.host).toEqual([{ key: 'Host', value: '127.0.0.1:8082' }]);
});
