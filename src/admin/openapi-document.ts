/**
 * The admin API's OpenAPI 3.1 document (`GET /v1/openapi.json`), written by hand route by route,
 * its request bodies generated from the zod schemas the routes validate with (z.toJSONSchema), so
 * the document and the validation cannot disagree on a field.
 */
import { rolloutRequestSchema } from '../control/rollout-plan.ts';
import { z } from 'zod';
import { edgeHeartbeatSchema, revisionDocumentSchema } from '../control/revision-document.ts';
import { settingsPatchSchema } from '../control/function-settings.ts';
import { createAliasSchema, createFunctionSchema, deploySchema, publishSchema, registerSchema, saveRevisionSchema, updateAliasSchema } from './control-api-schemas.ts';
import { invalidationRequestSchema } from './invalidation-request.ts';

type Json = Record<string, unknown>;

const schema = (s: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};
const jsonBody = (s: z.ZodType): Json => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const ok = (description: string, ref?: string): Json => ({ description, content: { 'application/json': { schema: ref === undefined ? { type: 'object' } : { $ref: `#/components/schemas/${ref}` } } } });
const list = (description: string): Json => ({ description, content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } } } } } } });
const noContent = { description: 'Done' };
const errors = { default: { description: 'An error: { code: VERGE_ERR_…, message, issues? } (docs/errors.md)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } };
const op = (summary: string, responses: Json, extra: Json = {}): Json => ({ summary, ...extra, responses: { ...responses, ...errors } });
const param = (name: string, where: 'path' | 'query' = 'path', required = where === 'path'): Json => ({ name, in: where, required, schema: { type: 'string' } });

/** The document, built once per app. */
export function openApiDocument(options: { controlPlane: boolean; invalidations: boolean }): Json {
  const paths: Json = {
    '/v1/health': { get: op('Liveness (no token needed)', { 200: ok('ok') }) },
    '/v1/openapi.json': { get: op('This document', { 200: ok('OpenAPI 3.1') }) },
  };
  if (options.invalidations) {
    paths['/v1/invalidations'] = { post: op('Purge paths and tags from every cache of the node', { 201: ok('The invalidation') }, { requestBody: jsonBody(invalidationRequestSchema) }), get: op('Recent invalidations', { 200: list('Newest first') }) };
    paths['/v1/invalidations/{id}'] = { get: op('One invalidation', { 200: ok('The invalidation') }, { parameters: [param('id')] }) };
  }
  if (options.controlPlane) {
    const name = [param('name')];
    Object.assign(paths, {
      '/v1/functions': { post: op('Create a function (CreateFunction), code as base64', { 201: ok('The function', 'Function') }, { requestBody: jsonBody(createFunctionSchema) }), get: op('List functions', { 200: list('Functions') }) },
      '/v1/functions/{name}': {
        get: op('Get a function ($LATEST)', { 200: ok('The function', 'Function') }, { parameters: name }),
        patch: op('Update $LATEST settings (UpdateFunctionConfiguration)', { 200: ok('The function', 'Function') }, { parameters: name, requestBody: jsonBody(settingsPatchSchema) }),
        delete: op('Delete a function, its versions and aliases', { 204: noContent }, { parameters: name }),
      },
      '/v1/functions/{name}/code': {
        put: op('Replace $LATEST code (UpdateFunctionCode): a .js/.mjs/.cjs/.ts file, a .zip, or a .tar.gz/.tgz/.tar directory tarball (repacked as a zip), at most 50 MB', { 200: ok('The function', 'Function') }, {
          parameters: [...name, param('fileName', 'query'), param('revisionId', 'query')],
          requestBody: { required: true, content: Object.fromEntries(['application/javascript', 'application/typescript', 'application/zip', 'application/gzip', 'application/x-tar', 'application/octet-stream'].map((t) => [t, { schema: { type: 'string', format: 'binary' } }])) },
        }),
      },
      '/v1/functions/{name}/versions': { post: op('Publish a version (PublishVersion)', { 201: ok('The version') }, { parameters: name, requestBody: jsonBody(publishSchema) }), get: op('List versions', { 200: list('Versions') }, { parameters: name }) },
      '/v1/functions/{name}/versions/{version}': { get: op('One version', { 200: ok('The version') }, { parameters: [...name, param('version')] }) },
      '/v1/functions/{name}/aliases': { post: op('Create an alias', { 201: ok('The alias') }, { parameters: name, requestBody: jsonBody(createAliasSchema) }), get: op('List aliases', { 200: list('Aliases') }, { parameters: name }) },
      '/v1/functions/{name}/aliases/{alias}': {
        get: op('One alias', { 200: ok('The alias') }, { parameters: [...name, param('alias')] }),
        patch: op('Update an alias (version, weights)', { 200: ok('The alias') }, { parameters: [...name, param('alias')], requestBody: jsonBody(updateAliasSchema) }),
        delete: op('Delete an alias', { 204: noContent }, { parameters: [...name, param('alias')] }),
      },
      '/v1/distributions': { get: op('List distributions', { 200: list('Distributions and their latest revision') }) },
      '/v1/distributions/{id}/revisions': { post: op('Save a new revision (config-file shaped; associations name fn:3 or fn:alias)', { 201: ok('The revision') }, { parameters: [param('id')], requestBody: jsonBody(saveRevisionSchema) }), get: op('List revisions', { 200: list('Revisions') }, { parameters: [param('id')] }) },
      '/v1/distributions/{id}/revisions/{revision}': { get: op('One revision', { 200: ok('The revision') }, { parameters: [param('id'), param('revision')] }) },
      '/v1/distributions/{id}/revisions/{revision}/document': { get: op('The document the revision resolves to now', { 200: ok('RevisionDocument', 'RevisionDocument') }, { parameters: [param('id'), param('revision')] }) },
      '/v1/distributions/{id}/deployments': { post: op('Deploy a revision (strategy AllAtOnce)', { 201: ok('The deployment') }, { parameters: [param('id')], requestBody: jsonBody(deploySchema) }), get: op('List deployments', { 200: list('Deployments') }, { parameters: [param('id')] }) },
      '/v1/deployments/{id}': { get: op('One deployment', { 200: ok('The deployment') }, { parameters: [param('id')] }) },
      ...(options.invalidations ? {} : { '/v1/invalidations': { post: op('Invalidate paths and tags at every location (delivered with heartbeats)', { 201: ok('The invalidation') }, { requestBody: jsonBody(invalidationRequestSchema) }), get: op('Recent invalidations', { 200: list('Invalidations') }) } }),
      '/v1/distributions/{id}/rollouts': { post: op('Start a staged rollout: waves, traffic shift, health gates, automatic rollback', { 201: ok('The deployment (InProgress)') }, { parameters: [param('id')], requestBody: jsonBody(rolloutRequestSchema) }) },
      '/v1/deployments/{id}/promote': { post: op('Put every remaining location at 100 % and skip the gates', { 200: ok('The deployment') }, { parameters: [param('id')] }) },
      '/v1/deployments/{id}/abort': { post: op('Roll back every location the rollout reached', { 200: ok('The deployment') }, { parameters: [param('id')] }) },
      '/v1/functions/{name}/invocations': { post: op('Run a version on a test event (the console\'s Test button)', { 200: ok('{ ok, version, result, error?, report, logs }') }, { parameters: [...name, param('qualifier', 'query')] }) },
      '/v1/locations': { get: op('List edge locations', { 200: list('Locations') }) },
      '/v1/locations/{name}': { get: op('One location, with its desired document', { 200: ok('The location') }, { parameters: name }) },
      '/v1/edge/locations/{location}/register': { post: op('An edge node registers its location', { 200: ok('{ location }') }, { parameters: [param('location')], requestBody: jsonBody(registerSchema) }) },
      '/v1/edge/locations/{location}/revision': {
        get: op('Long-poll for the location\'s document newer than generation `after`', { 200: ok('The document', 'RevisionDocument'), 204: { description: 'Nothing newer within waitMs' } }, { parameters: [param('location'), param('after', 'query'), param('waitMs', 'query')] }),
      },
      '/v1/edge/locations/{location}/heartbeat': { post: op('An edge node reports what it serves and per-version health', { 200: ok('{ desiredGeneration }') }, { parameters: [param('location')], requestBody: jsonBody(edgeHeartbeatSchema) }) },
      '/v1/edge/code/{sha256}': { get: op('Code bytes by sha256', { 200: { description: 'The bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } }, { parameters: [param('sha256')] }) },
    });
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Verge admin API', version: '1', description: 'Cache invalidation and the control plane: functions, versions, aliases, distributions, deployments, locations, and the edge API. Errors are { code, message } (docs/errors.md).' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } } } },
        Function: { type: 'object', required: ['name', 'arn', 'settings', 'code', 'revisionId'] },
        RevisionDocument: schema(revisionDocumentSchema),
      },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
