// Bench origin: a small fixed response, as cheap as node:http allows. Prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('x'.repeat(512));
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length, 'Cache-Control': 'max-age=60' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('message', (msg) => {
  if (msg === 'cpu') process.send?.(process.cpuUsage());
});
