/**
 * `/v1/functions`: Lambda's function API over the control plane (src/control/functions-service.ts,
 * aliases-service.ts).
 *
 *   POST   /v1/functions                       { name, runtime?, handler?, memoryMb?, timeoutMs?, environment?, description?, code: { fileName, base64 } } → 201
 *   GET    /v1/functions                       → { items: [FunctionRecord] }
 *   GET    /v1/functions/:name                 → FunctionRecord
 *   PATCH  /v1/functions/:name                 settings (update-config), optional revisionId → FunctionRecord
 *   DELETE /v1/functions/:name                 → 204 (its versions and aliases too)
 *   PUT    /v1/functions/:name/code?fileName=F[&revisionId=R]   raw body (application/javascript, application/zip, application/gzip, …) → FunctionRecord
 *   POST   /v1/functions/:name/versions        { description?, revisionId? } → 201 FunctionVersion (publish)
 *   GET    /v1/functions/:name/versions[/:version]
 *   POST   /v1/functions/:name/aliases         { name, functionVersion, additionalVersionWeights?, description? } → 201
 *   GET    /v1/functions/:name/aliases[/:alias]
 *   PATCH  /v1/functions/:name/aliases/:alias  { functionVersion?, additionalVersionWeights?, description?, revisionId? }
 *   DELETE /v1/functions/:name/aliases/:alias  → 204
 */
import { Hono } from 'hono';
import type { ControlPlane } from '../control/control-plane.ts';
import { AdminBadRequestError } from '../errors/admin-errors.ts';
import { createAliasSchema, createFunctionSchema, publishSchema, updateAliasSchema } from './control-api-schemas.ts';
import { settingsPatchSchema } from '../control/function-settings.ts';
import { jsonBody } from './json-body.ts';
import { invokeQualified } from '../control/invoke-service.ts';

export function functionRoutes(cp: ControlPlane): Hono {
  const routes = new Hono();

  routes.post('/', async (c) => {
    const { name, code, ...settings } = await jsonBody(c, createFunctionSchema);
    const fn = await cp.functions.create(name, settings, { bytes: Buffer.from(code.base64, 'base64'), fileName: code.fileName });
    c.header('Location', `/v1/functions/${fn.name}`);
    return c.json(fn, 201);
  });
  routes.get('/', async (c) => c.json({ items: await cp.functions.list() }));
  routes.get('/:name', async (c) => c.json(await cp.functions.get(c.req.param('name'))));
  routes.patch('/:name', async (c) => c.json(await cp.functions.updateConfig(c.req.param('name'), await jsonBody(c, settingsPatchSchema))));
  routes.delete('/:name', async (c) => {
    await cp.functions.delete(c.req.param('name'));
    return c.body(null, 204);
  });

  routes.put('/:name/code', async (c) => {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const fileName = c.req.query('fileName');
    const revisionId = c.req.query('revisionId');
    const fn = await cp.functions.updateCode(c.req.param('name'), { bytes, contentType: c.req.header('content-type'), ...(fileName === undefined ? {} : { fileName }) }, revisionId);
    return c.json(fn);
  });

  routes.post('/:name/versions', async (c) => {
    const body = await jsonBody(c, publishSchema);
    const v = await cp.functions.publish(c.req.param('name'), body.description, body.revisionId);
    c.header('Location', `/v1/functions/${v.functionName}/versions/${v.version}`);
    return c.json(v, 201);
  });
  // The console's Test button: one version (?qualifier=3 | ALIAS | $LATEST, default $LATEST) on a test event.
  routes.post('/:name/invocations', async (c) => {
    const event: unknown = await c.req.json().catch(() => {
      throw new AdminBadRequestError('The body must be a JSON test event (Records[0].cf …)');
    });
    return c.json(await invokeQualified(cp.store, c.req.param('name'), c.req.query('qualifier') ?? '$LATEST', event));
  });
  routes.get('/:name/versions', async (c) => c.json({ items: await cp.functions.listVersions(c.req.param('name')) }));
  routes.get('/:name/versions/:version', async (c) => c.json(await cp.functions.getVersion(c.req.param('name'), versionParam(c.req.param('version')))));

  routes.post('/:name/aliases', async (c) => {
    const alias = await cp.aliases.create(c.req.param('name'), await jsonBody(c, createAliasSchema));
    c.header('Location', `/v1/functions/${alias.functionName}/aliases/${alias.name}`);
    return c.json(alias, 201);
  });
  routes.get('/:name/aliases', async (c) => c.json({ items: await cp.aliases.list(c.req.param('name')) }));
  routes.get('/:name/aliases/:alias', async (c) => c.json(await cp.aliases.get(c.req.param('name'), c.req.param('alias'))));
  routes.patch('/:name/aliases/:alias', async (c) => c.json(await cp.aliases.update(c.req.param('name'), c.req.param('alias'), await jsonBody(c, updateAliasSchema))));
  routes.delete('/:name/aliases/:alias', async (c) => {
    await cp.aliases.delete(c.req.param('name'), c.req.param('alias'));
    return c.body(null, 204);
  });

  return routes;
}

/** A path segment that must be a version number (`$LATEST` is not published). */
export function versionParam(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) throw new AdminBadRequestError(`The version must be a number (1, 2, …), got ${JSON.stringify(text)}`);
  return Number(text);
}
