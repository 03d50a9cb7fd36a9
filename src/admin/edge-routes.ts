/**
 * `/v1/edge`: the API edge nodes use (revision-document.ts is its contract), behind the same token.
 *
 *   POST /v1/edge/locations/:location/register   { url?, nodeVersion? } → 200 { location }
 *   GET  /v1/edge/locations/:location/revision?after=G&waitMs=M
 *        → 200 RevisionDocument once the desired generation is past G (long-poll up to M ms, ≤ 55 s), else 204
 *   GET  /v1/edge/code/:sha256                   → the code bytes (application/octet-stream)
 *   POST /v1/edge/locations/:location/heartbeat  EdgeHeartbeat → 200 { desiredGeneration }
 */
import { Hono } from 'hono';
import type { ControlPlane } from '../control/control-plane.ts';
import { edgeHeartbeatSchema } from '../control/revision-document.ts';
import { AdminBadRequestError } from '../errors/admin-errors.ts';
import { registerSchema } from './control-api-schemas.ts';
import { jsonBody } from './json-body.ts';

/** A long poll without `waitMs` answers at once. */
const DEFAULT_WAIT_MS = 0;

export function edgeRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();
  routes.post('/locations/:location/register', async (c) => {
    const body = await jsonBody(c, registerSchema);
    const location = await cp.edge.register(c.req.param('location'), body.url);
    return c.json({ location });
  });
  routes.get('/locations/:location/revision', async (c) => {
    const after = intQuery(c.req.query('after'), 'after', 0);
    const waitMs = intQuery(c.req.query('waitMs'), 'waitMs', DEFAULT_WAIT_MS);
    const document = await cp.edge.waitForRevision(c.req.param('location'), after, waitMs, c.req.raw.signal);
    return document === undefined ? c.body(null, 204) : c.json(document);
  });
  routes.get('/code/:sha256', async (c) => {
    const bytes = await cp.edge.code(c.req.param('sha256'));
    // Content-addressed: the bytes under a sha256 never change.
    return c.body(Buffer.from(bytes), 200, { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable' });
  });
  routes.post('/locations/:location/heartbeat', async (c) => {
    const location = c.req.param('location');
    const beat = await jsonBody(c, edgeHeartbeatSchema);
    const answer = await cp.edge.heartbeat(location, beat);
    for (const done of beat.invalidationsDone) cp.invalidations.done(location, done.id, done.purged);
    return c.json({ ...answer, invalidations: cp.invalidations.pendingFor(location) });
  });
  return routes;
}

function intQuery(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,12}$/.test(text)) throw new AdminBadRequestError(`${name} must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}
