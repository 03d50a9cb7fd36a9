/**
 * `/v1/locations`: the edge locations that registered, what they should serve and what they
 * report serving, with their latest per-version health.
 *
 *   GET /v1/locations        → { items: [location without its desired document] }
 *   GET /v1/locations/:name  → the location, with `desiredDocument`
 */
import { Hono } from 'hono';
import type { ControlPlane } from '../control/control-plane.ts';
import type { LocationRecord } from '../control/control-store.ts';

export function locationRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();
  routes.get('/', async (c) => c.json({ items: (await cp.edge.list()).map(summary) }));
  routes.get('/:name', async (c) => c.json(await cp.edge.get(c.req.param('name'))));
  return routes;
}

/** A location for lists: the document can be large and says nothing a table shows. */
export function summary(location: LocationRecord): Omit<LocationRecord, 'desiredDocument'> {
  const { desiredDocument: _document, ...rest } = location;
  return rest;
}
