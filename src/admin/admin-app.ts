/**
 * The node's admin API: a hono app, JSON in and out, versioned under `/v1`. Today it holds cache
 * invalidation; the control plane's API (functions, versions, deployments) grows beside it as more
 * route groups under `/v1`, behind the same guards and the same error shape.
 *
 *   GET  /v1/health               no token needed: { "status": "ok" }
 *   POST /v1/invalidations        see invalidation-routes.ts
 *   GET  /v1/invalidations[/:id]
 *
 * Every error is `{ "code": "VERGE_ERR_…", "message": "…" }` with the status error-response.ts
 * gives the code (docs/errors.md); a bad request adds `issues: [{ path, message }]`.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AdminNotFoundError, AdminPayloadTooLargeError } from '../errors/admin-errors.ts';
import { presentError } from '../errors/error-response.ts';
import { VergeError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import { requireBearerToken, requireLoopbackHost } from './admin-auth.ts';
import { invalidationRoutes } from './invalidation-routes.ts';
import type { Invalidations } from './invalidations.ts';

/** An invalidation of 3,000 paths of a few hundred characters fits with room to spare. */
export const ADMIN_MAX_BODY_BYTES = 1024 * 1024;

export interface AdminAppOptions {
  /** The bearer token requests must carry; undefined: none, and only loopback Host names are answered. */
  readonly token: string | undefined;
  readonly invalidations: Invalidations;
  readonly logger: Logger;
}

/**
 * The admin API as a hono app, for any server (`startAdminServer` serves it on node:http).
 *
 * @example
 * const invalidations = new Invalidations({ targets: () => [localCacheTarget(node.cache)], store: 'memory', timeoutMs: 10_000, logger });
 * const app = createAdminApp({ token: undefined, invalidations, logger });
 * await app.request('/v1/invalidations', { method: 'POST', headers: { host: 'localhost', 'content-type': 'application/json' }, body: '{"paths":["/*"]}' });
 */
export function createAdminApp(options: AdminAppOptions): Hono {
  const { logger } = options;
  const app = new Hono();
  if (options.token === undefined) app.use('*', requireLoopbackHost());
  app.get('/v1/health', (c) => c.json({ status: 'ok' }));
  if (options.token !== undefined) app.use('/v1/*', requireBearerToken(options.token));
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: ADMIN_MAX_BODY_BYTES,
      onError: () => {
        throw new AdminPayloadTooLargeError(ADMIN_MAX_BODY_BYTES);
      },
    }),
  );
  app.route('/v1/invalidations', invalidationRoutes(options.invalidations));
  app.notFound((c) => errorResponse(c, new AdminNotFoundError(`No route ${c.req.method} ${c.req.path}`), logger));
  app.onError((err, c) => errorResponse(c, err, logger));
  return app;
}

/** The one shape of an admin error: the code's status (presentError), `{ code, message }`, a log line. */
function errorResponse(c: Context, err: unknown, logger: Logger): Response {
  const p = presentError(err, { executionErrorStatus: 503 });
  const fields = { type: 'admin-error', code: p.code, method: c.req.method, path: c.req.path };
  if (err instanceof VergeError) logger[p.logLevel](fields, p.message);
  else logger.error({ ...fields, err: err instanceof Error ? err.stack : String(err) }, 'Unexpected error in the admin API');
  const issues = err instanceof VergeError ? err.details.issues : undefined;
  // RFC 6750 §3: a 401 names the scheme it wants.
  if (p.status === 401) c.header('WWW-Authenticate', 'Bearer realm="verge-admin"');
  return c.json({ code: p.code, message: p.message, ...(issues === undefined ? {} : { issues }) }, p.status as 400);
}
