import { randomUUID } from 'node:crypto';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenConfig, VergeConfig } from '../config/types.ts';
import { errorBody, presentError } from '../errors/error-response.ts';
import { NoRevisionError } from '../errors/edge-errors.ts';
import { createLogger, flushLogger, type Logger } from '../observability/logger.ts';
import { VersionHealth } from '../observability/version-health.ts';
import type { FunctionRegistry } from '../runtime/function-registry.ts';
import { FunctionRuntime } from '../runtime/function-runtime.ts';
import { OriginClient } from './origin-client.ts';
import { openKeyValueStores } from '../kvs/kvs-directory.ts';
import { prepareSandbox } from '../runtime/sandbox/sandbox.ts';
import { HttpCache } from '../cache/http-cache.ts';
import { openCacheStore } from '../cache/open-cache-store.ts';
import { drained, loadGeneration, type ServingGeneration } from './serving-generation.ts';

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

/**
 * A node that starts without a configuration and gets one later from its control plane
 * (`EdgeNode.apply`); until then it answers 503 VERGE_ERR_NO_REVISION.
 */
export interface UnconfiguredNode {
  readonly listen: ListenConfig;
  readonly location: string;
}

/** What `apply` did: the version keys the new configuration runs, and which of them were new here. */
export interface ApplyOutcome {
  readonly versionKeys: readonly string[];
  readonly prewarmed: readonly string[];
  /** How long loading, prewarming and switching took. */
  readonly durationMs: number;
}

export interface EdgeNode {
  /** `http://host:port` the node listens on. */
  readonly url: string;
  readonly port: number;
  /** The runtime, registry and cache of the configuration served now; they throw before the first one. */
  readonly runtime: FunctionRuntime;
  readonly registry: FunctionRegistry;
  readonly logger: Logger;
  /** The node's HTTP cache (invalidation goes through it). */
  readonly cache: HttpCache;
  /** The configuration served now (undefined before the first). */
  readonly config: VergeConfig | undefined;
  /** Invocations, failures and durations per function since the last look (the edge agent's heartbeat). */
  readonly health: VersionHealth;
  /**
   * Switches the node to `config` without failing a request: loads and bundles its functions,
   * prewarms the versions that are new here (a version whose code does not load throws, and the node
   * keeps serving what it served), then swaps atomically: requests that started keep the old
   * generation to their end, new requests get the new one. Versions no longer used are retired once
   * the last request on the old generation has finished. Applies run one at a time.
   * The cache store is the node's, kept across configurations: entries stay, and each behavior's
   * cache policy applies to the lookups made under it (`cache` store settings of a later
   * configuration take effect at the next start).
   */
  apply(config: VergeConfig): Promise<ApplyOutcome>;
  /** Stops accepting, lets in-flight requests finish (up to drainMs), then frees everything. */
  close(drainMs?: number): Promise<void>;
}

/** What lives as long as the node, made from its first configuration. */
interface NodeParts {
  readonly runtime: FunctionRuntime;
  readonly origins: OriginClient;
  readonly cache: HttpCache;
}

/**
 * Assembles one edge node from a validated config (runtime, lifecycle, origin pools, HTTP server), or
 * an unconfigured one that listens and waits for `apply`.
 */
export async function startEdgeNode(initial: VergeConfig | UnconfiguredNode, options: EdgeNodeOptions = {}): Promise<EdgeNode> {
  const logger = options.logger ?? createLogger();
  const health = new VersionHealth();
  const location = initial.location;
  let parts: NodeParts | undefined;
  const partsFor = async (config: VergeConfig): Promise<NodeParts> => {
    if (parts !== undefined) return parts;
    const runtime = new FunctionRuntime({
      ...config.runtime,
      maxWarmIsolates: options.maxWarmIsolates ?? config.runtime.maxWarmIsolates,
      syncSliceMs: options.syncSliceMs ?? 50,
    });
    // An unusable cache directory stops startup (VERGE_ERR_CACHE_STORE) rather than every request.
    let store;
    try {
      store = await openCacheStore(config.cache, logger);
    } catch (err) {
      runtime.close();
      throw err;
    }
    parts = { runtime, origins: new OriginClient(), cache: new HttpCache(store, config.cache, logger) };
    return parts;
  };
  /** Key value stores of each generation, released with it. */
  const releases = new WeakMap<ServingGeneration, () => void>();
  const load = async (config: VergeConfig, prewarm?: (key: string) => boolean): Promise<ServingGeneration> => {
    // Key value stores load before any function can read them; a store file that does not load fails.
    const release = openKeyValueStores(config.keyValueStores, logger);
    try {
      const p = await partsFor(config);
      if (config.functions.length > 0) prepareSandbox();
      const generation = await loadGeneration(config, { ...p, logger, health }, prewarm);
      releases.set(generation, release);
      return generation;
    } catch (err) {
      release();
      throw err;
    }
  };

  let current: ServingGeneration | undefined;
  if ('origins' in initial) {
    // Bundles and module-checks every function before listening: a function that cannot load stops
    // startup with VERGE_ERR_FUNCTION_LOAD rather than failing its first request.
    try {
      current = await load(initial);
    } catch (err) {
      parts?.runtime.close();
      await parts?.cache.close();
      await parts?.origins.close();
      throw err;
    }
    if (options.watch) current.registry.watch(logger);
  }
  /** Generations replaced and still finishing requests. */
  const retiring = new Set<ServingGeneration>();

  let inFlight = 0;
  let draining = false;
  const server: Server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    inFlight++;
    // The generation is read once, here: the whole request runs on it, whatever apply() does meanwhile.
    const generation = current;
    if (generation !== undefined) generation.inFlight++;
    res.once('close', () => {
      inFlight--;
      if (generation !== undefined && --generation.inFlight === 0) generation.onIdle?.();
      if (draining) server.closeIdleConnections();
    });
    if (draining) res.shouldKeepAlive = false;
    if (generation === undefined) answerNoRevision(res, logger);
    else generation.lifecycle.handle(req, res);
  });
  server.on('clientError', (err, socket) => {
    // Every response carries a request id, this one too (CloudFront's 400s carry X-Amz-Cf-Id).
    const requestId = randomUUID();
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\nX-Verge-Request-Id: ${requestId}\r\n\r\n`);
    logger.debug({ type: 'client-error', requestId, err: err.message }, 'Malformed request from a client');
  });
  const listen = initial.listen;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const reusePort = options.reusePort ?? false;
    server.listen({ port: options.port ?? listen.port, host: listen.host, exclusive: reusePort, reusePort }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = `http://${host}:${port}`;
  logger.info({ type: 'listening', url, location }, `Verge edge node listening on ${url}`);

  /** Frees what a replaced generation held once its requests finished: versions no one uses any more. */
  const retire = async (old: ServingGeneration): Promise<void> => {
    retiring.add(old);
    await drained(old);
    retiring.delete(old);
    const inUse = new Set<string>();
    for (const g of [current, ...retiring]) for (const key of g?.versionKeys ?? []) inUse.add(key);
    for (const key of old.versionKeys) if (!inUse.has(key)) parts?.runtime.retire(key);
    old.registry.close();
    releases.get(old)?.();
  };

  let applying: Promise<unknown> = Promise.resolve();
  const apply = (config: VergeConfig): Promise<ApplyOutcome> => {
    const run = async (): Promise<ApplyOutcome> => {
      if (closing !== undefined) throw new Error('the edge node is closing');
      const started = performance.now();
      const known = new Set<string>();
      for (const g of [current, ...retiring]) for (const key of g?.versionKeys ?? []) known.add(key);
      const prewarmed: string[] = [];
      // Only versions this node does not run yet: a version kept across revisions keeps its warm isolates.
      const next = await load(config, (key) => {
        if (known.has(key)) return false;
        prewarmed.push(key);
        return true;
      });
      if (closing !== undefined) {
        next.registry.close();
        releases.get(next)?.();
        throw new Error('the edge node is closing');
      }
      const old = current;
      current = next;
      if (old !== undefined) void retire(old);
      return { versionKeys: [...next.versionKeys], prewarmed, durationMs: performance.now() - started };
    };
    const result = applying.then(run, run);
    applying = result.catch(() => undefined);
    return result;
  };

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
      await applying;
      for (const g of [current, ...retiring]) {
        g?.registry.close();
        if (g !== undefined) releases.get(g)?.();
      }
      parts?.runtime.close();
      await parts?.cache.close();
      await parts?.origins.close();
      logger.info({ type: 'stopped' }, 'Verge edge node stopped');
      await flushLogger(logger);
    })();
    return closing;
  };
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new NoRevisionError();
    return value;
  };
  return {
    url,
    port,
    logger,
    health,
    get runtime() {
      return need(parts).runtime;
    },
    get registry() {
      return need(current).registry;
    },
    get cache() {
      return need(parts).cache;
    },
    get config() {
      return current?.config;
    },
    apply,
    close,
  };
}

/** The answer of a node that has no configuration yet (a control-plane node before its first revision). */
function answerNoRevision(res: ServerResponse, logger: Logger): void {
  const requestId = randomUUID();
  const p = presentError(new NoRevisionError(), { executionErrorStatus: 503 });
  logger.warn({ type: 'error', code: p.code, requestId }, p.message);
  const body = errorBody(p, requestId);
  res.writeHead(p.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Retry-After': '1',
    'X-Verge-Request-Id': requestId,
  });
  res.end(body);
}
