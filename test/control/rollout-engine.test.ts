import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { SqliteControlStore } from '../../src/control/sqlite-control-store.ts';
import { RolloutEngine } from '../../src/control/rollout-engine.ts';
import { rolloutRequestSchema } from '../../src/control/rollout-plan.ts';
import type { RevisionDocument } from '../../src/control/revision-document.ts';
import { RolloutError } from '../../src/errors/rollout-errors.ts';

// The rollout engine over a real SQLite control store: deployments recorded, waves carried out as
// the locations' desired documents, a failing canary rolled back before the next wave, promote and
// abort, and the history of what happened.

const doc = (revision: number, version: number): RevisionDocument => ({
  distributionId: 'D1', revision, generation: 1, createdAt: '2026-11-27T00:00:00.000Z', config: { origins: [] },
  functions: [{ key: `auth:${version}`, name: 'auth', version, runtime: 'nodejs-edge', handler: 'index.handler', memoryMb: 128, timeoutMs: 1000, environment: {}, code: { sha256: 'b'.repeat(64), sizeBytes: 1, format: 'file', fileName: 'index.js' } }],
  associations: [{ 'viewer-request': { qualified: `auth:${version}`, primary: `auth:${version}`, includeBody: false } }],
});
let DOCS: Record<number, RevisionDocument> = { 1: doc(1, 1), 2: doc(2, 2) };

let store: SqliteControlStore;
let now = 0;
let engine: RolloutEngine;

beforeEach(async () => {
  DOCS = { 1: doc(1, 1), 2: doc(2, 2) };
  store = new SqliteControlStore(':memory:');
  now = 1_000;
  engine = new RolloutEngine({ store, resolve: async (_id, revision) => DOCS[revision]!, now: () => now });
  // The revisions the documents stand for (the resolver is what turns them into documents).
  for (const _ of [1, 2]) await store.createRevision('D1', { origins: [] }, { createdBy: 'test' });
  for (const name of ['ams', 'fra', 'iad']) {
    await store.registerLocation(name, undefined);
    await store.setDesired(name, { distributionId: 'D1', revision: 1, document: DOCS[1] });
  }
});
afterEach(async () => {
  await engine.stop();
  await store.close();
});

const desired = async () => Object.fromEntries((await store.listLocations()).map((l) => [l.name, l.desiredRevision]));
const beat = (location: string, version: number, requests: number, errors: number) =>
  store.recordHeartbeat(location, { distributionId: 'D1', servingRevision: 2, servingGeneration: 2, health: [{ key: `auth:${version}`, requests, errors, p99Ms: 5 }] });
const request = (body: Record<string, unknown>) => rolloutRequestSchema.parse({ revision: 2, ...body });

describe('rollout engine', () => {
  test('a healthy rollout reaches every location wave by wave and is recorded Succeeded, with its history', async () => {
    const d = await engine.start('D1', request({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 1_000 }), 'alice');
    expect(d.status).toBe('InProgress');
    await engine.tick();
    expect(await desired()).toEqual({ ams: 2, fra: 1, iad: 1 });
    await beat('ams', 2, 100, 0);
    await beat('fra', 1, 100, 0);
    now += 1_000;
    await engine.tick(); // canary gate passes, wave 2 next
    await engine.tick(); // wave 2 traffic
    expect(await desired()).toEqual({ ams: 2, fra: 2, iad: 2 });
    now += 1_000;
    await engine.tick();
    const done = await store.getDeployment(d.id);
    expect(done.status).toBe('Succeeded');
    expect(done.events.map((e) => e.type)).toEqual(['created', 'wave-started', 'gate-passed', 'wave-started', 'gate-passed', 'succeeded']);
  });

  test('a version that throws is rolled back after the canary; the other locations never get it', async () => {
    const d = await engine.start('D1', request({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 60_000 }), 'alice');
    await engine.tick();
    await beat('ams', 2, 50, 50);
    now += 500;
    await engine.tick();
    expect(await desired()).toEqual({ ams: 1, fra: 1, iad: 1 });
    const ended = await store.getDeployment(d.id);
    expect(ended.status).toBe('RolledBack');
    expect(ended.events.at(-1)!.message).toMatch(/^wave 1 \(ams\): error rate 100\.00 %/);
    // fra and iad were only ever desired at revision 1: their generation never moved past the setup.
    for (const l of await store.listLocations()) if (l.name !== 'ams') expect(l.desiredGeneration).toBe(1);
  });

  test('promote and abort take effect on the next tick; a second deployment waits for the first', async () => {
    const d = await engine.start('D1', request({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 60_000 }), 'alice');
    await expect(engine.start('D1', request({}), 'bob')).rejects.toThrow(RolloutError);
    await engine.tick();
    await engine.command(d.id, 'abort', 'bob');
    await engine.tick();
    expect((await store.getDeployment(d.id)).status).toBe('Aborted');
    expect(await desired()).toEqual({ ams: 1, fra: 1, iad: 1 });

    const again = await engine.start('D1', request({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 60_000 }), 'alice');
    await engine.tick();
    await engine.command(again.id, 'promote', 'carol');
    await engine.tick();
    expect((await store.getDeployment(again.id)).status).toBe('Succeeded');
    expect(await desired()).toEqual({ ams: 2, fra: 2, iad: 2 });
    await expect(engine.command(again.id, 'abort', 'bob')).rejects.toThrow(/is Succeeded, not in progress/);
  });

  test('canary traffic within a location is a weighted document: the old version primary, the new one at the share', async () => {
    await engine.start('D1', request({ waves: [{ locations: ['ams', 'fra', 'iad'] }], traffic: 'Canary10Percent5Minutes', bakeMs: 0 }), 'alice');
    await engine.tick();
    const ams = await store.getLocation('ams');
    const assoc = (ams.desiredDocument as RevisionDocument).associations[0]!['viewer-request']!;
    expect(assoc).toEqual({ qualified: 'auth:2', primary: 'auth:1', additional: { key: 'auth:2', weight: 0.1 }, includeBody: false });
  });

  test('what a rollout rolls out is resolved once, at its start: an alias moved meanwhile does not change it', async () => {
    await engine.start('D1', request({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 60_000 }), 'alice');
    DOCS[2] = doc(2, 9); // as if an alias the revision names now pointed at version 9
    await engine.tick();
    const ams = await store.getLocation('ams');
    expect((ams.desiredDocument as RevisionDocument).associations[0]!['viewer-request']!.primary).toBe('auth:2');
  });
});
