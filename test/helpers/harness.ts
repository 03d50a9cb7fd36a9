import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startEdgeNode, type EdgeNode, type EdgeNodeOptions } from '../../src/proxy/edge-node.ts';

/** What a test origin saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export interface TestOrigin {
  readonly url: string;
  readonly port: number;
  readonly seen: SeenRequest[];
  /** TCP connections the origin has accepted so far (keep-alive reuse shows as fewer than requests). */
  readonly connections: () => number;
  close(): Promise<void>;
}

/** A real origin server on 127.0.0.1 with an ephemeral port; records every request it receives. */
export async function startOrigin(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('hello from origin');
  },
): Promise<TestOrigin> {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    connections: () => connections,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const fnDir = mkdtempSync(join(tmpdir(), 'verge-fn-'));
let fnCounter = 0;

/** Writes function source to a temp file and returns its path, for configs built inside a test. */
export function functionFile(source: string, ext = '.js'): string {
  const file = join(fnDir, `fn-${process.pid}-${++fnCounter}${ext}`);
  writeFileSync(file, source);
  return file;
}

export interface LogLine {
  readonly level: string;
  readonly type?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface TestEdge {
  readonly url: string;
  readonly node: EdgeNode;
  /** Every JSON log line the node wrote so far. */
  readonly logs: LogLine[];
  /** Drains for up to drainMs (2 s by default), then stops the node. */
  close(drainMs?: number): Promise<void>;
}

/** A real edge node on an ephemeral port from a raw (unvalidated) config object. */
export async function startEdge(rawConfig: Record<string, unknown>, options: EdgeNodeOptions = {}): Promise<TestEdge> {
  const { logs, stream } = logCapture();
  const config = parseConfig({ listen: { host: '127.0.0.1', port: 0 }, ...rawConfig }, fnDir, 'test config');
  const node = await startEdgeNode(config, { logger: createLogger({ level: 'debug', stream }), ...options });
  return { url: node.url, node, logs, close: (drainMs = 2_000) => node.close(drainMs) };
}

/** A stream for a test logger, and the JSON lines written to it so far. */
export function logCapture(): { readonly logs: LogLine[]; readonly stream: Writable } {
  const logs: LogLine[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      partial += chunk.toString();
      let nl: number;
      while ((nl = partial.indexOf('\n')) !== -1) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      }
      cb();
    },
  });
  return { logs, stream };
}

export interface RawResponse {
  readonly status: number;
  readonly statusMessage: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly body: Buffer;
  readonly text: string;
}

/** One HTTP/1.1 request with node:http, keeping raw headers (fetch would normalise them away). */
export function send(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders | string[]; body?: string | Buffer; agent?: false } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, rawHeaders: res.rawHeaders, body, text: body.toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Waits until `predicate` holds (log lines are written asynchronously), or fails after timeoutMs. */
export async function eventually<T>(predicate: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 2_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
