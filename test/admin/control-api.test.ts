import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startAdminServer, type AdminServer } from '../../src/admin/admin-server.ts';
import { createControlPlane } from '../../src/control/control-plane.ts';
import { revisionDocumentSchema } from '../../src/control/revision-document.ts';
import { SqliteControlStore } from '../../src/control/sqlite-control-store.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { PASS_THROUGH, siteConfig, tarGzOf, zipOf } from '../helpers/control-fixtures.ts';

// The control plane's admin API on a real server (node:http, real sockets), over a real SQLite
// store: functions, code uploads, versions, aliases, revisions, deployments, locations and the edge API.

const TOKEN = 'control-plane-token-0123456789';
let server: AdminServer;
let store: SqliteControlStore;

beforeAll(async () => {
  store = new SqliteControlStore(':memory:');
  const controlPlane = createControlPlane(store, { developmentMode: false });
  server = await startAdminServer({ admin: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN, invalidationTimeoutMs: 1_000 }, controlPlane, logger: createLogger({ level: 'silent' }) });
});
afterAll(async () => {
  await server?.close();
  await store?.close();
});

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, reset = false): Promise<Answer> {
  const raw = body instanceof Uint8Array || typeof body === 'string';
  const res = await request(`${server.url}${path}`, {
    method: method as 'GET',
    headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
    // A refused upload leaves its connection unusable (the server stops reading the body).
    reset,
  });
  const text = await res.body.text();
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : type.includes('json') ? JSON.parse(text) : text };
}

const createFn = (name: string, source = PASS_THROUGH, extra: Record<string, unknown> = {}) => call('POST', '/v1/functions', { name, code: { fileName: 'index.mjs', base64: Buffer.from(source).toString('base64') }, ...extra });

describe('/v1/functions', () => {
  test('create, get, list, update-config, update-code, publish, versions, delete', async () => {
    const created = await createFn('crud', PASS_THROUGH, { memoryMb: 256, description: 'first' });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe('/v1/functions/crud');
    expect(created.body).toMatchObject({ name: 'crud', arn: 'verge:function:crud', settings: { memoryMb: 256, description: 'first', handler: 'index.handler' }, code: { format: 'file', fileName: 'index.mjs' } });
    expect((await call('GET', '/v1/functions/crud')).body.revisionId).toBe(created.body.revisionId);
    expect((await call('GET', '/v1/functions')).body.items.map((f: { name: string }) => f.name)).toContain('crud');

    const patched = await call('PATCH', '/v1/functions/crud', { timeoutMs: 3000, environment: { MODE: 'x' } });
    expect(patched.status).toBe(200);
    expect(patched.body.settings).toMatchObject({ timeoutMs: 3000, environment: { MODE: 'x' }, memoryMb: 256 });
    // A stale revisionId is a conflict (Lambda's PreconditionFailed).
    expect((await call('PATCH', '/v1/functions/crud', { timeoutMs: 10, revisionId: created.body.revisionId })).status).toBe(409);

    const zip = await zipOf({ 'index.js': 'exports.handler = async (e) => e.Records[0].cf.request;\n' });
    const code = await call('PUT', '/v1/functions/crud/code?fileName=pkg.zip', zip, { 'content-type': 'application/zip' });
    expect(code.status).toBe(200);
    expect(code.body.code).toMatchObject({ format: 'zip', fileName: 'pkg.zip', sizeBytes: zip.length });

    const v1 = await call('POST', '/v1/functions/crud/versions', { description: 'v1' });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ functionName: 'crud', version: 1, arn: 'verge:function:crud:1', description: 'v1' });
    expect((await call('GET', '/v1/functions/crud/versions')).body.items).toHaveLength(1);
    expect((await call('GET', '/v1/functions/crud/versions/1')).body.code.sha256).toBe(code.body.code.sha256);

    expect((await call('DELETE', '/v1/functions/crud')).status).toBe(204);
    const gone = await call('GET', '/v1/functions/crud');
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('VERGE_ERR_CONTROL_NOT_FOUND');
  });

  test('a directory tarball is taken raw as application/gzip and stored as a zip', async () => {
    await createFn('tarred');
    const tgz = await tarGzOf({ 'index.js': "exports.handler = async (e) => require('./lib/x').x(e);\n", 'lib/x.js': 'exports.x = (e) => e.Records[0].cf.request;\n' });
    const res = await call('PUT', '/v1/functions/tarred/code', tgz, { 'content-type': 'application/gzip' });
    expect(res.status).toBe(200);
    expect(res.body.code).toMatchObject({ format: 'zip', fileName: 'function.zip' });
  });

  test('errors: bad settings name the field, bad code is refused, duplicates conflict, uploads are size-limited', async () => {
    const badName = await createFn('bad name!');
    expect(badName.status).toBe(400);
    expect(badName.body.code).toBe('VERGE_ERR_ADMIN_BAD_REQUEST');
    expect(badName.body.issues).toEqual([{ path: 'name', message: 'must be 1-64 characters from A-Z a-z 0-9 _ -' }]);
    const badMemory = await createFn('mem', PASS_THROUGH, { memoryMb: 99_999, handler: 'nodot' });
    expect(badMemory.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['handler', 'memoryMb']);
    const syntax = await createFn('syntax', 'export const handler = (;\n');
    expect(syntax.status).toBe(400);
    expect(syntax.body.code).toBe('VERGE_ERR_CONTROL_INVALID_CODE');
    await createFn('dup');
    const dup = await createFn('dup');
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('VERGE_ERR_CONTROL_CONFLICT');
    const unknownType = await call('PUT', '/v1/functions/dup/code', 'x', { 'content-type': 'text/plain' });
    expect(unknownType.body.code).toBe('VERGE_ERR_CONTROL_INVALID_CODE');
    const huge = await call('PUT', '/v1/functions/dup/code?fileName=big.zip', new Uint8Array(50 * 1024 * 1024 + 1), { 'content-type': 'application/zip' }, true);
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('VERGE_ERR_ADMIN_PAYLOAD_TOO_LARGE');
    // Other routes keep the 1 MB limit.
    const bigJson = await call('PATCH', '/v1/functions/dup', { description: 'x'.repeat(2 * 1024 * 1024) }, {}, true);
    expect(bigJson.status).toBe(413);
  });

  test('the token is required', async () => {
    const res = await request(`${server.url}/v1/functions`);
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(await res.body.text()).code).toBe('VERGE_ERR_ADMIN_UNAUTHORIZED');
  });
});

describe('/v1/functions/{name}/aliases', () => {
  test('create, get, list, update weights, delete; bad weights are refused', async () => {
    await createFn('aliased');
    await call('POST', '/v1/functions/aliased/versions', {});
    await call('PUT', '/v1/functions/aliased/code?fileName=index.mjs', `${PASS_THROUGH}// 2\n`, { 'content-type': 'application/javascript' });
    await call('POST', '/v1/functions/aliased/versions', {});
    const live = await call('POST', '/v1/functions/aliased/aliases', { name: 'live', functionVersion: 1 });
    expect(live.status).toBe(201);
    expect(live.body).toMatchObject({ arn: 'verge:function:aliased:live', functionVersion: 1, additionalVersionWeights: {} });
    const shifted = await call('PATCH', '/v1/functions/aliased/aliases/live', { additionalVersionWeights: { '2': 0.1 } });
    expect(shifted.body.additionalVersionWeights).toEqual({ '2': 0.1 });
    expect((await call('GET', '/v1/functions/aliased/aliases')).body.items).toHaveLength(1);
    expect((await call('GET', '/v1/functions/aliased/aliases/live')).body.functionVersion).toBe(1);
    const tooHeavy = await call('PATCH', '/v1/functions/aliased/aliases/live', { additionalVersionWeights: { '2': 1.5 } });
    expect(tooHeavy.status).toBe(400);
    expect(tooHeavy.body.issues[0].path).toBe('additionalVersionWeights.2');
    const missing = await call('POST', '/v1/functions/aliased/aliases', { name: 'next', functionVersion: 9 });
    expect(missing.status).toBe(404);
    expect((await call('DELETE', '/v1/functions/aliased/aliases/live')).status).toBe(204);
    expect((await call('GET', '/v1/functions/aliased/aliases/live')).status).toBe(404);
  });
});

describe('/v1/distributions, deployments, locations and the edge API', () => {
  test('a revision is saved, resolved, deployed AllAtOnce; the long poll answers 204 then 200 with the document', async () => {
    await createFn('edgefn');
    await call('POST', '/v1/functions/edgefn/versions', {});
    await call('POST', '/v1/functions/edgefn/aliases', { name: 'prod', functionVersion: 1 });
    const saved = await call('POST', '/v1/distributions/EDGE1/revisions', { config: siteConfig('http://127.0.0.1:9', { 'viewer-request': { name: 'edgefn:prod' } }), comment: 'first' }, { 'x-verge-actor': 'tester@host' });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({ distributionId: 'EDGE1', revision: 1, comment: 'first', createdBy: 'tester@host' });
    expect((await call('GET', '/v1/distributions/EDGE1/revisions')).body.items).toHaveLength(1);
    expect((await call('GET', '/v1/distributions')).body.items).toContainEqual({ distributionId: 'EDGE1', latestRevision: 1 });
    const preview = await call('GET', '/v1/distributions/EDGE1/revisions/1/document');
    expect(preview.body.associations[1]['viewer-request']).toEqual({ qualified: 'edgefn:prod', primary: 'edgefn:1', includeBody: false });

    const registered = await call('POST', '/v1/edge/locations/fra-1/register', { url: 'http://127.0.0.1:1234', nodeVersion: '0.1.0' });
    expect(registered.status).toBe(200);
    expect(registered.body.location).toMatchObject({ name: 'fra-1', desiredGeneration: 0 });
    // Nothing to serve yet: the long poll waits, then answers 204.
    const t0 = Date.now();
    expect((await call('GET', '/v1/edge/locations/fra-1/revision?after=0&waitMs=300')).status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);

    const waiting = call('GET', '/v1/edge/locations/fra-1/revision?after=0&waitMs=20000');
    await new Promise((r) => setTimeout(r, 100));
    const deployed = await call('POST', '/v1/distributions/EDGE1/deployments', { revision: 1 });
    expect(deployed.status).toBe(201);
    expect(deployed.body).toMatchObject({ distributionId: 'EDGE1', revision: 1, previousRevision: 0, status: 'Succeeded', plan: { strategy: 'AllAtOnce', locations: 'all' } });
    const started = Date.now();
    const doc = await waiting;
    expect(doc.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000); // woken by the deploy, not by its 20 s
    const document = revisionDocumentSchema.parse(doc.body);
    expect(document).toMatchObject({ distributionId: 'EDGE1', revision: 1, generation: 1 });
    expect(document.functions[0]!.key).toBe('edgefn:1');
    // The code named by the document downloads by its sha256.
    const code = await call('GET', `/v1/edge/code/${document.functions[0]!.code.sha256}`);
    expect(code.status).toBe(200);
    expect(code.headers['content-type']).toBe('application/octet-stream');
    expect(code.body).toBe(PASS_THROUGH);
    expect((await call('GET', `/v1/edge/code/${'0'.repeat(64)}`)).status).toBe(404);
    // Already at generation 1: 204 again.
    expect((await call('GET', '/v1/edge/locations/fra-1/revision?after=1&waitMs=0')).status).toBe(204);

    const beat = await call('POST', '/v1/edge/locations/fra-1/heartbeat', { distributionId: 'EDGE1', servingRevision: 1, servingGeneration: 1, health: [{ key: 'edgefn:1', requests: 10, errors: 1, p99Ms: 3.5 }] });
    expect(beat.body).toEqual({ desiredGeneration: 1, invalidations: [] });
    const locations = await call('GET', '/v1/locations');
    expect(locations.body.items.find((l: { name: string }) => l.name === 'fra-1')).toMatchObject({ servingRevision: 1, desiredRevision: 1, health: [{ key: 'edgefn:1', requests: 10, errors: 1 }] });
    expect(locations.body.items[0].desiredDocument).toBeUndefined();
    expect((await call('GET', '/v1/locations/fra-1')).body.desiredDocument.revision).toBe(1);
    expect((await call('GET', `/v1/deployments/${deployed.body.id}`)).body.id).toBe(deployed.body.id);
    expect((await call('GET', '/v1/distributions/EDGE1/deployments')).body.items).toHaveLength(1);

    // A location registering later gets the deployment that went to all locations.
    const late = await call('POST', '/v1/edge/locations/ams-1/register', {});
    expect(late.body.location).toMatchObject({ desiredRevision: 1, distributionId: 'EDGE1' });
  });

  test('errors: a revision naming a missing version, a bad distribution id, an unknown revision, a bad heartbeat', async () => {
    const bad = await call('POST', '/v1/distributions/EDGE2/revisions', { config: siteConfig('http://127.0.0.1:9', { 'origin-request': { name: 'nothing:1' } }) });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VERGE_ERR_CONTROL_INVALID_REVISION');
    expect(bad.body.issues).toEqual([{ path: 'behaviors[1].functions.origin-request', message: 'nothing:1: no function is named "nothing"' }]);
    expect((await call('POST', '/v1/distributions/lower/revisions', { config: siteConfig('http://127.0.0.1:9', {}) })).body.code).toBe('VERGE_ERR_CONTROL_INVALID_REVISION');
    expect((await call('POST', '/v1/distributions/EDGE1/deployments', { revision: 42 })).status).toBe(404);
    expect((await call('POST', '/v1/distributions/EDGE1/deployments', { revision: 1, strategy: 'Linear' })).body.issues[0].path).toBe('strategy');
    expect((await call('POST', '/v1/edge/locations/fra-1/heartbeat', { servingRevision: -1 })).status).toBe(400);
    expect((await call('POST', '/v1/edge/locations/Bad_Name/register', {})).status).toBe(400);
    expect((await call('GET', '/v1/edge/locations/nowhere/revision')).status).toBe(404);
    expect((await call('GET', '/v1/nope')).body.code).toBe('VERGE_ERR_ADMIN_NOT_FOUND');
  });

  test('GET /v1/openapi.json describes the routes, with request bodies from the zod schemas', async () => {
    const doc = (await call('GET', '/v1/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/functions', '/v1/functions/{name}/code', '/v1/distributions/{id}/deployments', '/v1/edge/locations/{location}/revision']));
    // A control plane without a node's caches of its own: its invalidations go to every location.
    expect(doc.paths['/v1/invalidations'].post.summary).toMatch(/every location/);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/distributions/{id}/rollouts', '/v1/deployments/{id}/promote', '/v1/deployments/{id}/abort', '/v1/functions/{name}/invocations']));
    expect(doc.paths['/v1/functions/{name}/aliases'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'functionVersion']);
  });
});
