/**
 * `/v1/invalidations` of the control plane (control/location-invalidations.ts): paths and tags purged
 * at every registered location, each node told in its next heartbeat.
 *
 *   POST /v1/invalidations        { paths?, tags? } → 201 { id, status: InProgress, locations: { name: pending }, … }
 *   GET  /v1/invalidations[/:id]  → { items } (newest first) / one, with each location's purged count once it reported
 */
import { Hono } from 'hono';
import type { ControlPlane } from '../control/control-plane.ts';
import { AdminNotFoundError } from '../errors/admin-errors.ts';
import { invalidationRequestSchema } from './invalidation-request.ts';
import { jsonBody } from './json-body.ts';
import { requestActor } from './request-actor.ts';

export function locationInvalidationRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();
  routes.post('/', async (c) => {
    const body = await jsonBody(c, invalidationRequestSchema);
    const locations = (await cp.edge.list()).map((l) => l.name);
    const record = cp.invalidations.create(body, locations, requestActor(c));
    c.header('Location', `/v1/invalidations/${record.id}`);
    return c.json(record, 201);
  });
  routes.get('/', (c) => c.json({ items: cp.invalidations.list() }));
  routes.get('/:id', (c) => {
    const record = cp.invalidations.get(c.req.param('id'));
    if (record === undefined) throw new AdminNotFoundError(`No invalidation ${JSON.stringify(c.req.param('id'))} (the control plane keeps the newest 100, in memory)`);
    return c.json(record);
  });
  return routes;
}
