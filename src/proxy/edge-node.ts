import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VergeConfig } from '../config/types.ts';
import { createLogger, flushLogger, type Logger } from '../observability/logger.ts';
import { HookRunner } from '../pipeline/hook-runner.ts';
import { RequestLifecycle } from '../pipeline/request-lifecycle.ts';
import { FunctionRegistry } from '../runtime/function-registry.ts';
import { FunctionRuntime } from '../runtime/function-runtime.ts';
import { OriginClient } from './origin-client.ts';
import { openKeyValueStores } from '../kvs/kvs-directory.ts';
import { prepareSandbox } from '../runtime/sandbox/sandbox.ts';
import { HttpCache } from '../cache/http-cache.ts';
import { openCacheStore } from '../cache/open-cache-store.ts';

export interface EdgeNodeOptions {
  readonly logger?: Logger;
  /** Reload function files when they change (development). */
  readonly watch?: boolean;
  /** Overrides config.listen.port (0 = any free port). */
  readonly port?: number;
  /**
   * Listen with SO_REUSEPORT on a socket of this process's own (`exclusive`, even in a cluster
   * worker): the workers of `verge serve` each do, and the kernel spreads connections among them.
   */
  readonly reusePort?: boolean;
  /** Warm isolates kept across all function versions; overrides config.runtime.maxWarmIsolates. */
  readonly maxWarmIsolates?: number;
  /** How long a call may run on the node's thread before its version moves to the thread pool. */
  readonly syncSliceMs?: number;
}

export interface EdgeNode {
  /** `http://host:port` the node listens on. */
  readonly url: string;
  readonly port: number;
  readonly runtime: FunctionRuntime;
  readonly registry: FunctionRegistry;
  readonly logger: Logger;
  /** The node's HTTP cache (invalidation goes through it). */
  readonly cache: HttpCache;
  /** Stops accepting, lets in-flight requests finish (up to drainMs), then frees everything. */
  close(drainMs?: number): Promise<void>;
}

/** Assembles one edge node from a validated config: runtime, lifecycle, origin pools, HTTP server. */
export async function startEdgeNode(config: VergeConfig, options: EdgeNodeOptions = {}): Promise<EdgeNode> {
  const logger = options.logger ?? createLogger();
  // Key value stores load before any function can read them; a store file that does not load stops startup.
  const releaseStores = openKeyValueStores(config.keyValueStores, logger);
  const runtime = new FunctionRuntime({
    ...config.runtime,
    maxWarmIsolates: options.maxWarmIsolates ?? config.runtime.maxWarmIsolates,
    syncSliceMs: options.syncSliceMs ?? 50,
  });
  // Bundles and module-checks every function before listening: a function that cannot load stops
  // startup with VERGE_ERR_FUNCTION_LOAD rather than failing its first request.
  const registry = await FunctionRegistry.load(
    config.functions,
    (key) => runtime.retire(key),
    (version) => runtime.prewarm(version),
  );
  if (options.watch) registry.watch(logger);
  if (config.functions.length > 0) prepareSandbox();
  const origins = new OriginClient();
  const hooks = new HookRunner(runtime, registry, logger, config.distribution);
  // An unusable cache directory stops startup (VERGE_ERR_CACHE_STORE) rather than every request.
  const store = await openCacheStore(config.cache, logger);
  const cache = new HttpCache(store, config.cache, logger);
  const lifecycle = new RequestLifecycle({ config, hooks, origins, logger, cache });

  let inFlight = 0;
  let draining = false;
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (draining) server.closeIdleConnections();
    });
    if (draining) res.shouldKeepAlive = false;
    lifecycle.handle(req, res);
  });
  server.on('clientError', (err, socket) => {
    // Every response carries a request id, this one too (CloudFront's 400s carry X-Amz-Cf-Id).
    const requestId = randomUUID();
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\nX-Verge-Request-Id: ${requestId}\r\n\r\n`);
    logger.debug({ type: 'client-error', requestId, err: err.message }, 'Malformed request from a client');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const reusePort = options.reusePort ?? false;
    server.listen({ port: options.port ?? config.listen.port, host: config.listen.host, exclusive: reusePort, reusePort }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ type: 'listening', url, location: config.location }, `Verge edge node listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = (drainMs = 30_000): Promise<void> => {
    closing ??= (async () => {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + drainMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      registry.close();
      runtime.close();
      await cache.close();
      releaseStores();
      await origins.close();
      logger.info({ type: 'stopped' }, 'Verge edge node stopped');
      await flushLogger(logger);
    })();
    return closing;
  };
  return { url, port, runtime, registry, logger, cache, close };
}
