/**
 * Revision documents (src/control/revision-document.ts) for edge node tests, and a stand-in for the
 * control plane's edge API.
 *
 * The control plane below is a TEST FIXTURE of the wire contract only: a tiny hono app serving
 * documents and code from memory, written while the real edge API is built on another branch
 * (cp-api). When both are merged, these tests should run against the real control plane.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { EdgeHeartbeat, ResolvedAssociation, ResolvedFunction, RevisionDocument } from '../../src/control/revision-document.ts';
import { codeDirOf, storeCode } from '../../src/control/revision-state.ts';

export const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** One version of a Lambda@Edge function whose code is `source` (a single .js file). */
export function version(key: string, source: string, fields: Partial<ResolvedFunction> = {}): ResolvedFunction & { readonly source: string } {
  const colon = key.lastIndexOf(':');
  const v = key.slice(colon + 1);
  return {
    key,
    name: key.slice(0, colon),
    version: v === '$LATEST' ? '$LATEST' : Number(v),
    runtime: 'nodejs-edge',
    handler: 'index.handler',
    memoryMb: 128,
    timeoutMs: 3000,
    environment: {},
    code: { sha256: sha256(source), sizeBytes: Buffer.byteLength(source), format: 'file', fileName: 'index.js' },
    ...fields,
    source,
  };
}

/** A viewer-request function that answers by itself with `body` (no origin involved). */
export const answering = (body: string): string =>
  `exports.handler = async () => ({ status: '200', headers: { 'content-type': [{ value: 'text/plain' }] }, body: ${JSON.stringify(body)} });`;

/** A viewer-response function that adds `x-version: label`. */
export const tagging = (label: string): string =>
  `exports.handler = async (event) => { const r = event.Records[0].cf.response; r.headers['x-version'] = [{ key: 'X-Version', value: ${JSON.stringify(label)} }]; return r; };`;

export function association(primary: string, additional?: { key: string; weight: number }): ResolvedAssociation {
  return { qualified: primary, primary, includeBody: false, ...(additional === undefined ? {} : { additional }) };
}

/** A document with one origin and one `*` behavior whose associations are `events`. */
export function revisionDoc(
  generation: number,
  originUrl: string,
  functions: readonly (ResolvedFunction & { source?: string })[],
  events: RevisionDocument['associations'][number],
  fields: Partial<RevisionDocument> = {},
): RevisionDocument {
  return {
    distributionId: 'EDGETEST',
    revision: generation,
    generation,
    createdAt: new Date(0).toISOString(),
    config: {
      origins: [{ id: 'origin', url: originUrl }],
      behaviors: [{ pathPattern: '*', originId: 'origin', cachePolicy: 'CachingDisabled' }],
    },
    functions: functions.map(({ source: _source, ...fn }) => fn as ResolvedFunction),
    associations: [events],
    ...fields,
  };
}

/** A state directory with the documents' code stored, as the agent would have fetched it. */
export async function stateDirWithCode(...fns: readonly (ResolvedFunction & { source: string })[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'verge-state-'));
  for (const fn of fns) await storeCode(codeDirOf(dir), fn, Buffer.from(fn.source));
  return dir;
}

export interface FakeControlPlane {
  readonly url: string;
  /** Publishes a document for every location (long polls waiting for it answer at once). */
  publish(doc: RevisionDocument): void;
  /** Code served by sha256; `override` serves other bytes for a sha (a corrupted download). */
  addCode(source: string, override?: string): void;
  readonly heartbeats: EdgeHeartbeat[];
  readonly registrations: string[];
  /** Bearer tokens the requests carried. */
  readonly tokens: (string | undefined)[];
  close(): Promise<void>;
}

/** The edge API of the control plane (the contract's four routes), from memory. See the file comment. */
export async function startFakeControlPlane(): Promise<FakeControlPlane> {
  let current: RevisionDocument | undefined;
  const code = new Map<string, string>();
  const waiting = new Set<() => void>();
  const heartbeats: EdgeHeartbeat[] = [];
  const registrations: string[] = [];
  const tokens: (string | undefined)[] = [];
  const app = new Hono();
  app.use(async (c, next) => {
    tokens.push(c.req.header('authorization'));
    await next();
  });
  app.post('/v1/edge/locations/:location/register', (c) => {
    registrations.push(c.req.param('location'));
    return c.json({ location: c.req.param('location') });
  });
  app.get('/v1/edge/locations/:location/revision', async (c) => {
    const after = Number(c.req.query('after') ?? 0);
    const waitMs = Math.min(Number(c.req.query('waitMs') ?? 0), 2_000);
    const newer = () => (current !== undefined && current.generation > after ? current : undefined);
    if (newer() === undefined && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const wake = () => (clearTimeout(timer), waiting.delete(wake), resolve());
        const timer = setTimeout(wake, waitMs);
        waiting.add(wake);
      });
    }
    const doc = newer();
    return doc === undefined ? c.body(null, 204) : c.json(doc);
  });
  app.get('/v1/edge/code/:sha', (c) => {
    const bytes = code.get(c.req.param('sha'));
    return bytes === undefined ? c.json({ error: 'not found' }, 404) : c.body(bytes, 200, { 'content-type': 'application/octet-stream' });
  });
  app.post('/v1/edge/locations/:location/heartbeat', async (c) => {
    heartbeats.push((await c.req.json()) as EdgeHeartbeat);
    return c.json({ desiredGeneration: current?.generation ?? 0 });
  });
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publish(doc) {
      current = doc;
      for (const wake of [...waiting]) wake();
    },
    addCode(source, override) {
      code.set(sha256(source), override ?? source);
    },
    heartbeats,
    registrations,
    tokens,
    close: () =>
      new Promise((resolve) => {
        for (const wake of [...waiting]) wake();
        (server as unknown as { closeAllConnections(): void }).closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
