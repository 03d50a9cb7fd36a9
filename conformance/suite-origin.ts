/**
 * The suite's origin server, in this process, on 127.0.0.1 and a port the OS picks. The package's
 * server/server.mjs listens on every interface, on a fixed port from npm_config_port, and writes a
 * pid file into the working directory; its three request handlers are all a test needs, so they are
 * dispatched here exactly as server.mjs dispatches them (its static-file handler, which serves the
 * browser runner, is left out).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverHandlers } from './suite-package.ts';

export interface SuiteOrigin {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startSuiteOrigin(): Promise<SuiteOrigin> {
  const server: Server = createServer((request, response) => {
    const pathSegs = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.split('/');
    pathSegs.shift();
    const dispatch = pathSegs.shift();
    const handler = dispatch === 'config' || dispatch === 'test' || dispatch === 'state' ? serverHandlers[dispatch] : undefined;
    if (handler === undefined) {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end(`${request.url} is not a cache-tests path\n`);
      return;
    }
    handler(pathSegs, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
