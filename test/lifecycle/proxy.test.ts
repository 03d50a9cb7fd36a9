import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { fn, logsOf, PASS_REQUEST, PASS_RESPONSE, rawPairs, rawRequestHeaders, requestIdOf } from '../helpers/cf-fixtures.ts';

// The proxy itself: bodies stream, hop-by-hop fields stop at each hop (RFC 9110 §7.6.1), Via and
// X-Forwarded-For are added (RFC 9110 §7.6.3), Host names the origin, HEAD and 304 carry no content
// (RFC 9110 §6.4.1), connections to the origin are reused.

const FIVE_MB = randomBytes(5 * 1024 * 1024);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let origin: TestOrigin;
let stream: { server: Server; url: string; port: number; events: string[]; release: () => void };
let edge: TestEdge;
let releaseSlowBody: () => void = () => undefined;

const HOP_BY_HOP_RESPONSE = ['Connection', 'X-Hop-Resp', 'Keep-Alive', 'timeout=9', 'Trailer', 'X-Trailer', 'Upgrade', 'h2c', 'Proxy-Connection', 'keep-alive', 'X-Hop-Resp', 'secret', 'TE', 'trailers'];

/** An origin for streaming cases, written against node:http directly so it can act mid-body. */
async function startStreamingOrigin(): Promise<typeof stream> {
  const events: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url?.endsWith('/slow-download')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' }); // no length: chunked
      res.write('first chunk;');
      events.push('origin wrote first');
      const done = new Promise<void>((resolve) => {
        releaseSlowBody = resolve;
        setTimeout(resolve, 3_000);
      });
      void done.then(() => {
        events.push('origin ended');
        res.end('last chunk');
      });
      return;
    }
    if (req.url?.endsWith('/slow-upload')) {
      events.push('origin got headers');
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => {
        chunks.push(c);
        events.push(`origin got ${c.length} bytes`);
      });
      req.on('end', () => {
        events.push('origin got end');
        res.end(Buffer.concat(chunks));
      });
      return;
    }
    if (req.url?.endsWith('/download')) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': FIVE_MB.length });
      res.end(FIVE_MB);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, port, events, release: () => releaseSlowBody() };
}

beforeAll(async () => {
  origin = await startOrigin((req, res, body) => {
    if (req.url?.startsWith('/upload')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(`${body.length} ${sha(body)}`);
      return;
    }
    if (req.url?.startsWith('/hop')) {
      res.writeHead(200, ['Content-Type', 'text/plain', 'Via', '1.1 origin-cache', ...HOP_BY_HOP_RESPONSE]);
      res.end('hop');
      return;
    }
    if (req.headers['if-none-match'] === '"v1"') {
      res.writeHead(304, { ETag: '"v1"' });
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', ETag: '"v1"' });
    res.end('hello from origin');
  });
  stream = await startStreamingOrigin();
  edge = await startEdge({
    origins: [
      { id: 'o', url: origin.url },
      { id: 'stream', url: stream.url },
    ],
    functions: [
      fn('pass-request', PASS_REQUEST),
      fn('pass-response', PASS_RESPONSE),
      fn('logs', `exports.handler = async (event, context) => { console.log('hello from', context.functionName); console.error('an error line'); return event.Records[0].cf.request; };`),
      fn('generate-304', `exports.handler = async () => ({ status: '304', headers: {}, body: 'must not be sent' });`),
      fn('generate-200', `exports.handler = async () => ({ status: '200', body: 'generated body' });`),
      fn('throws', `exports.handler = async () => { throw new Error('x'); };`),
    ],
    behaviors: [
      { pathPattern: '/stream/*', originId: 'stream' },
      {
        pathPattern: '/stream-fn/*',
        originId: 'stream',
        functions: {
          'viewer-request': { name: 'pass-request' },
          'origin-request': { name: 'pass-request' },
          'origin-response': { name: 'pass-response' },
          'viewer-response': { name: 'pass-response' },
        },
      },
      {
        pathPattern: '/upload-fn/*',
        originId: 'o',
        functions: { 'viewer-request': { name: 'pass-request' }, 'origin-request': { name: 'pass-request' } },
      },
      { pathPattern: '/hop-fn/*', originId: 'o', functions: { 'origin-response': { name: 'pass-response' }, 'viewer-response': { name: 'pass-response' } } },
      { pathPattern: '/logs/*', originId: 'o', functions: { 'viewer-request': { name: 'logs' } } },
      { pathPattern: '/gen-304', originId: 'o', functions: { 'viewer-request': { name: 'generate-304' } } },
      { pathPattern: '/gen-200', originId: 'o', functions: { 'viewer-request': { name: 'generate-200' } } },
      { pathPattern: '/throws', originId: 'o', functions: { 'viewer-request': { name: 'throws' } } },
      { pathPattern: '/o/*', originId: 'o' },
      { pathPattern: '/upload*', originId: 'o' },
      { pathPattern: '/hop*', originId: 'o' },
      // No "*" behavior: other paths have no behavior.
    ],
  });
});
afterAll(async () => {
  stream?.release();
  await edge?.close();
  await origin?.close();
  await new Promise<void>((resolve) => {
    stream?.server.closeAllConnections();
    stream?.server.close(() => resolve());
  });
});

describe('bodies stream when no function asked for them', () => {
  test.each(['/upload', '/upload-fn/x'])('a 5 MB upload reaches the origin intact (%s)', async (path) => {
    const res = await send(`${edge.url}${path}`, { method: 'POST', body: FIVE_MB, headers: { 'Content-Type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(res.text).toBe(`${FIVE_MB.length} ${sha(FIVE_MB)}`);
  });

  test.each(['/stream', '/stream-fn'])('a 5 MB download reaches the viewer intact (%s)', async (prefix) => {
    const res = await send(`${edge.url}${prefix}/download`);
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(FIVE_MB.length);
    expect(sha(res.body)).toBe(sha(FIVE_MB));
  });

  test.each(['/stream', '/stream-fn'])('a slow chunked origin response reaches the viewer before the origin finishes (%s)', async (prefix) => {
    stream.events.length = 0;
    const got = await new Promise<{ firstAt: string[]; text: string }>((resolve, reject) => {
      const req = httpRequest(`${edge.url}${prefix}/slow-download`, { agent: false }, (res) => {
        let text = '';
        let firstAt: string[] | undefined;
        res.on('data', (c: Buffer) => {
          text += c.toString();
          if (firstAt === undefined) {
            firstAt = [...stream.events];
            stream.release();
          }
        });
        res.on('end', () => resolve({ firstAt: firstAt ?? [], text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(got.firstAt).toContain('origin wrote first');
    expect(got.firstAt).not.toContain('origin ended');
    expect(got.text).toBe('first chunk;last chunk');
  });

  test.each(['/stream', '/stream-fn'])('an upload reaches the origin before the viewer has finished sending it (%s)', async (prefix) => {
    stream.events.length = 0;
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${edge.url}${prefix}/slow-upload`, { method: 'POST', agent: false, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write('part one;');
      eventually(() => stream.events.some((e) => e.startsWith('origin got') && e.endsWith('bytes')), 3_000).then(
        () => req.end('part two'),
        reject,
      );
    });
    expect(stream.events.indexOf('origin got headers')).toBeLessThan(stream.events.indexOf('origin got end'));
    expect(text).toBe('part one;part two');
  });
});

describe('Expect: 100-continue (RFC 9110 §10.1.1)', () => {
  test('the viewer gets 100 Continue, then its body reaches the origin without the Expect field', async () => {
    const body = randomBytes(64 * 1024);
    const result = await new Promise<{ continued: boolean; status: number; text: string }>((resolve, reject) => {
      let continued = false;
      const req = httpRequest(`${edge.url}/upload`, { method: 'PUT', agent: false, headers: { Expect: '100-continue', 'Content-Length': body.length } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, text }));
      });
      req.on('continue', () => {
        continued = true;
        req.end(body);
      });
      req.on('error', reject);
    });
    expect(result.continued).toBe(true);
    expect(result.status).toBe(200);
    expect(result.text).toBe(`${body.length} ${sha(body)}`);
    expect(origin.seen.at(-1)!.headers.expect).toBeUndefined();
  });
});

describe('hop-by-hop fields (RFC 9110 §7.6.1)', () => {
  const REQUEST_HOP = ['Connection', 'keep-alive, X-Hop-Req', 'Keep-Alive', 'timeout=9', 'TE', 'trailers', 'Trailer', 'X-Trailer', 'Upgrade', 'foo/1', 'Proxy-Connection', 'keep-alive', 'X-Hop-Req', 'secret', 'X-End-To-End', 'kept'];

  test.each(['/o/a', '/upload-fn/a'])('are not forwarded to the origin, nor are fields named in Connection (%s)', async (path) => {
    // Chunked, because Node's client only sends a Trailer field with a chunked body.
    await send(`${edge.url}${path}`, { method: 'POST', body: 'body', headers: rawRequestHeaders(edge.url, 'Transfer-Encoding', 'chunked', ...REQUEST_HOP) });
    const seen = origin.seen.at(-1)!;
    expect(seen.body.toString()).toBe('body');
    for (const name of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'x-hop-req', 'transfer-encoding']) expect(seen.headers[name], name).toBeUndefined();
    expect(String(seen.headers.connection ?? '')).not.toMatch(/x-hop-req/i);
    expect(seen.headers['x-end-to-end']).toBe('kept');
  });

  test.each(['/hop', '/hop-fn/a'])('are not forwarded to the viewer, nor are fields named in Connection (%s)', async (path) => {
    const res = await send(`${edge.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('hop');
    for (const name of ['keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection', 'x-hop-resp']) expect(res.headers[name], name).toBeUndefined();
    expect(String(res.headers.connection ?? '')).not.toMatch(/x-hop-resp/i);
  });
});

describe('Via, X-Forwarded-For and Host', () => {
  test('Via is added to the request, after the viewer’s own', async () => {
    await send(`${edge.url}/o/a`, { headers: { Via: '1.1 viewer-proxy' } });
    const vias = rawPairs(origin.seen.at(-1)!.rawHeaders, 'via').map(([, v]) => v);
    expect(vias).toEqual(['1.1 viewer-proxy', '1.1 verge.local (Verge)']);
  });

  test('Via is added to the response, after the origin’s own', async () => {
    const res = await send(`${edge.url}/hop`);
    expect(rawPairs(res.rawHeaders, 'via').map(([, v]) => v)).toEqual(['1.1 origin-cache', '1.1 verge.local (Verge)']);
    const plain = await send(`${edge.url}/o/a`);
    expect(plain.headers.via).toBe('1.1 verge.local (Verge)');
  });

  test('X-Forwarded-For is the client IP when the viewer sent none', async () => {
    await send(`${edge.url}/o/a`);
    expect(origin.seen.at(-1)!.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  test('X-Forwarded-For keeps the viewer’s value and appends the client IP', async () => {
    await send(`${edge.url}/o/a`, { headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.2' } });
    expect(origin.seen.at(-1)!.headers['x-forwarded-for']).toBe('203.0.113.7, 198.51.100.2, 127.0.0.1');
  });

  test('Host sent to the origin is the origin’s host, not the viewer’s', async () => {
    await send(`${edge.url}/o/a`, { headers: rawRequestHeaders('http://www.example.com') });
    expect(origin.seen.at(-1)!.headers.host).toBe(`127.0.0.1:${origin.port}`);
  });
});

describe('responses without content (RFC 9110 §6.4.1)', () => {
  test('a HEAD request gets the origin’s status and headers and no body', async () => {
    const res = await send(`${edge.url}/o/a`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"v1"');
    expect(res.body.length).toBe(0);
    expect(origin.seen.at(-1)!.method).toBe('HEAD');
  });

  test('a HEAD request answered by a function gets no body', async () => {
    const res = await send(`${edge.url}/gen-200`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(0);
  });

  test('a 304 from the origin reaches the viewer without a body', async () => {
    const res = await send(`${edge.url}/o/a`, { headers: { 'If-None-Match': '"v1"' } });
    expect(res.status).toBe(304);
    expect(res.headers.etag).toBe('"v1"');
    expect(res.body.length).toBe(0);
  });

  test('a 304 generated by a function with a body is sent without it', async () => {
    const res = await send(`${edge.url}/gen-304`);
    expect(res.status).toBe(304);
    expect(res.body.length).toBe(0);
    expect(res.headers['content-length']).toBeUndefined();
  });

  test('the connection stays usable after a HEAD and a 304', async () => {
    // A body sent where none is allowed would be parsed as the next response on a reused connection.
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const get = (path: string, method = 'GET', headers: Record<string, string> = {}) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = httpRequest(`${edge.url}${path}`, { method, agent, headers }, (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      expect((await get('/gen-200', 'HEAD')).status).toBe(200);
      expect((await get('/gen-304')).status).toBe(304);
      expect((await get('/o/a', 'GET', { 'If-None-Match': '"v1"' })).status).toBe(304);
      expect(await get('/o/a')).toEqual({ status: 200, body: 'hello from origin' });
    } finally {
      agent.destroy();
    }
  });
});

describe('connections to the origin', () => {
  test('are kept alive and reused across requests', async () => {
    const before = origin.connections();
    for (let i = 0; i < 10; i++) expect((await send(`${edge.url}/o/keepalive-${i}`)).status).toBe(200);
    expect(origin.connections() - before).toBeLessThanOrEqual(1);
  });
});

describe('x-verge-request-id', () => {
  test.each([
    ['a proxied response', '/o/a', 'GET', 200],
    ['a HEAD response', '/o/a', 'HEAD', 200],
    ['a generated response', '/gen-200', 'GET', 200],
    ['a 304 generated response', '/gen-304', 'GET', 304],
    ['an execution error', '/throws', 'GET', 503],
    ['a request no behavior matches', '/nowhere', 'GET', 404],
  ])('is on %s', async (_what, path, method, status) => {
    const res = await send(`${edge.url}${path}`, { method });
    expect(res.status).toBe(status);
    expect(requestIdOf(res)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('is on the 400 answering a malformed request', async () => {
    const { connect } = await import('node:net');
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(edge.url).port), '127.0.0.1', () => socket.write('GET /o/a HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toMatch(/\r\nX-Verge-Request-Id: [0-9a-f-]{36}\r\n/i);
  });

  test('a request no behavior matches answers 404 with the code', async () => {
    const res = await send(`${edge.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('VERGE_ERR_NO_BEHAVIOR');
    expect(res.text).toContain(requestIdOf(res));
  });
});

describe('function logs', () => {
  test('console.log and console.error lines appear in the logs with the request id, function and event type', async () => {
    const res = await send(`${edge.url}/logs/a`);
    expect(res.status).toBe(200);
    const id = requestIdOf(res);
    const lines = await eventually(() => {
      const l = logsOf(edge, id, 'function-log');
      return l.length === 2 ? l : undefined;
    });
    expect(lines[0]).toMatchObject({ msg: 'hello from logs', level: 'info', function: 'logs', eventType: 'viewer-request', requestId: id });
    expect(lines[1]).toMatchObject({ msg: 'an error line', level: 'error', requestId: id });
  });
});
