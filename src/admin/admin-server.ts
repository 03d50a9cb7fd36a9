/**
 * The admin API on its own node:http server (through @hono/node-server), apart from the viewers'
 * port: one per node. `verge serve` runs it in the supervisor, its CacheTargets being the workers
 * (over IPC); an in-process node serves it for its own cache with `localCacheTarget(node.cache)`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { AdminConfig, AdminSettings } from '../config/admin-config.ts';
import type { ControlPlane } from '../control/control-plane.ts';
import type { Logger } from '../observability/logger.ts';
import { createAdminApp } from './admin-app.ts';
import type { CacheTarget } from './cache-target.ts';
import { Invalidations } from './invalidations.ts';

export interface AdminServerOptions {
  /** Where to listen, the token (already resolved: resolveAdminSettings), how long invalidations wait. */
  readonly admin: AdminConfig | AdminSettings;
  /** The caches an invalidation purges, asked anew each time; absent (a control plane alone): no invalidations. */
  readonly targets?: () => readonly CacheTarget[];
  /** `cache.store`: how `purged` and completion are counted (src/admin/invalidations.ts). */
  readonly store?: 'memory' | 'disk';
  /** Serves the control plane's routes too (`verge control-plane`). */
  readonly controlPlane?: ControlPlane;
  readonly logger: Logger;
}

export interface AdminServer {
  /** `http://host:port` of the admin API. */
  readonly url: string;
  readonly port: number;
  readonly invalidations: Invalidations | undefined;
  close(): Promise<void>;
}

/**
 * Starts the admin API.
 * @throws the listen error (EADDRINUSE, EACCES, …) when its address cannot be used
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { admin, logger } = options;
  const invalidations = options.targets === undefined ? undefined : new Invalidations({ targets: options.targets, store: options.store ?? 'memory', timeoutMs: admin.invalidationTimeoutMs, logger });
  const app = createAdminApp({ token: admin.token, logger, ...(invalidations === undefined ? {} : { invalidations }), ...(options.controlPlane === undefined ? {} : { controlPlane: options.controlPlane }) });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  // An idle admin client must not hold the supervisor's shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: admin.listen.host, port: admin.listen.port }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = admin.listen.host.includes(':') ? `[${admin.listen.host}]` : admin.listen.host;
  const url = `http://${host}:${port}`;
  const tokenSource = 'tokenSource' in admin ? admin.tokenSource : admin.token === undefined ? 'none' : 'config';
  logger.info({ type: 'admin-listening', url, token: tokenSource }, `Verge admin API listening on ${url} (${tokenSource === 'none' ? 'no token: loopback Host names only' : `bearer token from ${tokenSource === 'env' ? 'VERGE_ADMIN_TOKEN' : 'admin.token'}`})`);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { url, port, invalidations, close };
}
