/**
 * `/v1/distributions` and `/v1/deployments`: distribution revisions and their deployments
 * (src/control/distributions-service.ts, deployments-service.ts).
 *
 *   GET  /v1/distributions                               → { items: [{ distributionId, latestRevision }] }
 *   POST /v1/distributions/:id/revisions                 { config, comment? } → 201 DistributionRevision
 *   GET  /v1/distributions/:id/revisions[/:revision]
 *   GET  /v1/distributions/:id/revisions/:revision/document   → the RevisionDocument it resolves to now
 *   POST /v1/distributions/:id/deployments               { revision, strategy?: AllAtOnce, locations?, comment? } → 201 Deployment
 *   GET  /v1/distributions/:id/deployments               → { items }
 *   GET  /v1/deployments/:deploymentId                   → Deployment
 *   POST /v1/distributions/:id/rollouts                  RolloutRequest (control/rollout-plan.ts) → 201 Deployment (InProgress)
 *   POST /v1/deployments/:deploymentId/promote | /abort  → 200 Deployment (the command is carried out within a tick)
 */
import { Hono } from 'hono';
import type { ControlPlane } from '../control/control-plane.ts';
import { deploySchema, saveRevisionSchema } from './control-api-schemas.ts';
import { versionParam } from './function-routes.ts';
import { jsonBody } from './json-body.ts';
import { rolloutRequestSchema } from '../control/rollout-plan.ts';
import { requestActor } from './request-actor.ts';

export function distributionRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();
  routes.get('/', async (c) => c.json({ items: await cp.distributions.listDistributions() }));
  routes.post('/:id/revisions', async (c) => {
    const body = await jsonBody(c, saveRevisionSchema);
    const r = await cp.distributions.save(c.req.param('id'), body.config, { createdBy: requestActor(c), ...(body.comment === undefined ? {} : { comment: body.comment }) });
    c.header('Location', `/v1/distributions/${r.distributionId}/revisions/${r.revision}`);
    return c.json(r, 201);
  });
  routes.get('/:id/revisions', async (c) => c.json({ items: await cp.distributions.list(c.req.param('id')) }));
  routes.get('/:id/revisions/:revision', async (c) => c.json(await cp.distributions.get(c.req.param('id'), versionParam(c.req.param('revision')))));
  routes.get('/:id/revisions/:revision/document', async (c) => c.json(await cp.distributions.resolve(c.req.param('id'), versionParam(c.req.param('revision')))));
  routes.post('/:id/deployments', async (c) => {
    const body = await jsonBody(c, deploySchema);
    const d = await cp.deployments.deploy(c.req.param('id'), { ...body, createdBy: requestActor(c) });
    c.header('Location', `/v1/deployments/${d.id}`);
    return c.json(d, 201);
  });
  routes.get('/:id/deployments', async (c) => c.json({ items: await cp.deployments.list(c.req.param('id')) }));
  routes.post('/:id/rollouts', async (c) => {
    const body = await jsonBody(c, rolloutRequestSchema);
    // The revision must resolve now (every function, version and alias it names), or nothing starts.
    await cp.distributions.resolve(c.req.param('id'), body.revision);
    const d = await cp.rollouts.start(c.req.param('id'), body, requestActor(c));
    c.header('Location', `/v1/deployments/${d.id}`);
    return c.json(d, 201);
  });
  return routes;
}

export function deploymentRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();
  routes.get('/:id', async (c) => c.json(await cp.deployments.get(c.req.param('id'))));
  for (const command of ['promote', 'abort'] as const) {
    routes.post(`/:id/${command}`, async (c) => c.json(await cp.rollouts.command(c.req.param('id'), command, requestActor(c))));
  }
  return routes;
}
