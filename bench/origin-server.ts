// Bench origin: a small fixed response, as cheap as node:http allows. Prints its port on stdout.
// Paths under /cacheable get the cache-hit scenario's response instead: a 1 KB body marked fresh for
// an hour, so an edge with a cache serves it from the cache after the first request (bench/cache-hit.ts).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trackGcPauses } from './gc-pauses.ts';

const body = Buffer.from('x'.repeat(512));
const cacheableBody = Buffer.from('c'.repeat(1024));
/** Requests to /cacheable… seen so far: how many of an edge's requests were misses. */
let cacheableRequests = 0;
const gcPauses = trackGcPauses();
const server = createServer((req, res) => {
  if (req.url?.startsWith('/cacheable')) {
    cacheableRequests++;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': cacheableBody.length, 'Cache-Control': 'max-age=3600' });
    res.end(cacheableBody);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length, 'Cache-Control': 'max-age=60' });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('message', (msg) => {
  if (msg === 'cpu') process.send?.(process.cpuUsage());
  if (msg === 'gc') process.send?.(gcPauses());
  if (msg === 'cacheable-requests') process.send?.(cacheableRequests);
});
