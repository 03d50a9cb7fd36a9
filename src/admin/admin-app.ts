/**
 * The node's admin API: a hono app, JSON in and out, versioned under `/v1`. Today it holds cache
 * invalidation; the control plane's API (functions, versions, deployments) grows beside it as more
 * route groups under `/v1`, behind the same guards and the same error shape.
 *
 *   GET  /v1/health               no token needed: { "status": "ok" }
 *   POST /v1/invalidations        see invalidation-routes.ts
 *   GET  /v1/invalidations[/:id]
 *   GET  /v1/openapi.json         the OpenAPI 3.1 document of the routes served
 *   /v1/functions, /v1/distributions, /v1/deployments, /v1/locations, /v1/edge
 *                                 the control plane, when given one (function-routes.ts, …)
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
import type { ControlPlane } from '../control/control-plane.ts';
import { MAX_UPLOAD_BYTES } from '../control/code-package.ts';
import { deploymentRoutes, distributionRoutes } from './distribution-routes.ts';
import { locationInvalidationRoutes } from './location-invalidation-routes.ts';
import { edgeRoutes } from './edge-routes.ts';
import { functionRoutes } from './function-routes.ts';
import { locationRoutes } from './location-routes.ts';
import { openApiDocument } from './openapi-document.ts';

/** An invalidation of 3,000 paths of a few hundred characters fits with room to spare. */
export const ADMIN_MAX_BODY_BYTES = 1024 * 1024;
/** A code upload: the 50 MB of a zipped package; as base64 inside `POST /v1/functions`, 4/3 of that. */
export const ADMIN_MAX_UPLOAD_BODY_BYTES = Math.ceil((MAX_UPLOAD_BYTES * 4) / 3) + ADMIN_MAX_BODY_BYTES;

export interface AdminAppOptions {
  /** The bearer token requests must carry; undefined: none, and only loopback Host names are answered. */
  readonly token: string | undefined;
  /** The node's cache invalidations; absent (a control plane alone): no /v1/invalidations. */
  readonly invalidations?: Invalidations;
  /** The control plane's routes; absent (an edge node's own admin API): none. */
  readonly controlPlane?: ControlPlane;
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
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AdminPayloadTooLargeError(maxSize);
      },
    });
  const smallBody = limit(ADMIN_MAX_BODY_BYTES);
  const rawUpload = limit(MAX_UPLOAD_BYTES);
  const base64Upload = limit(ADMIN_MAX_UPLOAD_BODY_BYTES);
  // Only the two routes that carry code take large bodies.
  app.use('/v1/*', (c, next) => {
    const upload = uploadKind(c.req.method, c.req.path);
    return (upload === 'raw' ? rawUpload : upload === 'base64' ? base64Upload : smallBody)(c, next);
  });
  const document = openApiDocument({ controlPlane: options.controlPlane !== undefined, invalidations: options.invalidations !== undefined });
  app.get('/v1/openapi.json', (c) => c.json(document));
  if (options.invalidations !== undefined) app.route('/v1/invalidations', invalidationRoutes(options.invalidations));
  if (options.controlPlane !== undefined) {
    const cp = options.controlPlane;
    app.route('/v1/functions', functionRoutes(cp));
    app.route('/v1/distributions', distributionRoutes(cp));
    app.route('/v1/deployments', deploymentRoutes(cp));
    app.route('/v1/locations', locationRoutes(cp));
    app.route('/v1/edge', edgeRoutes(cp));
    // The control plane's own invalidations reach every location through heartbeats; a node that
    // runs the control plane in its own process (the demo) keeps its direct, per-worker ones.
    if (options.invalidations === undefined) app.route('/v1/invalidations', locationInvalidationRoutes(cp));
  }
  app.notFound((c) => errorResponse(c, new AdminNotFoundError(`No route ${c.req.method} ${c.req.path}`), logger));
  app.onError((err, c) => errorResponse(c, err, logger));
  return app;
}

/** `PUT …/code` carries the package raw; `POST /v1/functions` as base64 inside JSON. */
function uploadKind(method: string, path: string): 'raw' | 'base64' | undefined {
  if (method === 'PUT' && /^\/v1\/functions\/[^/]+\/code$/.test(path)) return 'raw';
  if (method === 'POST' && /^\/v1\/functions\/?$/.test(path)) return 'base64';
  return undefined;
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
