/**
 * `/v1/invalidations`, CloudFront's CreateInvalidation, GetInvalidation and ListInvalidations in
 * JSON:
 *
 *   POST /v1/invalidations        { "paths": ["/images/*"], "tags": ["product-42"] }
 *     → 201 Location: /v1/invalidations/I2J0I21PCUYOIK
 *       { "id": "I2J0I21PCUYOIK", "status": "Completed", "purged": 12, "workers": { "total": 2, "answered": 2, … }, … }
 *   GET  /v1/invalidations/:id    → the same object (its status updated as late answers arrive)
 *   GET  /v1/invalidations        → { "items": [{ "id", "status", "createTime", "purged" }, …] } newest first
 */
import { Hono } from 'hono';
import { CacheStoreError } from '../errors/cache-errors.ts';
import { AdminNotFoundError } from '../errors/admin-errors.ts';
import { presentError } from '../errors/error-response.ts';
import { isInvalidationId } from './invalidation-id.ts';
import { invalidationRequestSchema } from './invalidation-request.ts';
import type { Invalidations } from './invalidations.ts';
import { jsonBody } from './json-body.ts';

export function invalidationRoutes(invalidations: Invalidations): Hono {
  const routes = new Hono();

  routes.post('/', async (c) => {
    const body = await jsonBody(c, invalidationRequestSchema);
    const invalidation = await invalidations.create(body);
    if (invalidation.status === 'Failed') {
      // Nothing was purged: never answer that with a success status (the record stays listed).
      const failure = invalidation.workers.results.find((r) => r.outcome === 'failed');
      const why = failure === undefined ? 'no worker was running to purge the shared cache' : `${failure.message}`;
      const p = presentError(new CacheStoreError(`Invalidation ${invalidation.id} failed: ${why}`), { executionErrorStatus: 503 });
      return c.json({ code: p.code, message: p.message, invalidation }, p.status as 503);
    }
    // 201 for InProgress too, as CloudFront answers CreateInvalidation: the invalidation exists and goes on.
    c.header('Location', `/v1/invalidations/${invalidation.id}`);
    return c.json(invalidation, 201);
  });

  routes.get('/', (c) => c.json({ items: invalidations.list() }));

  routes.get('/:id', (c) => {
    const id = c.req.param('id');
    const invalidation = isInvalidationId(id) ? invalidations.get(id) : undefined;
    if (invalidation === undefined) throw new AdminNotFoundError(`No invalidation ${JSON.stringify(id)} (only the most recent ones are kept, in memory, until the node restarts)`);
    return c.json(invalidation);
  });

  return routes;
}
