import { describe, expect, test } from 'vitest';
import { splitTraffic } from '../../src/control/traffic-split.ts';
import type { ResolvedFunction, RevisionDocument } from '../../src/control/revision-document.ts';

const fn = (key: string): ResolvedFunction => ({
  key, name: key.split(':')[0]!, version: Number(key.split(':')[1]), runtime: 'nodejs-edge', handler: 'index.handler',
  memoryMb: 128, timeoutMs: 1000, environment: {}, code: { sha256: 'a'.repeat(64), sizeBytes: 1, format: 'file', fileName: 'index.js' },
});
const doc = (revision: number, viewer: string, origin?: string): RevisionDocument => ({
  distributionId: 'D', revision, generation: revision, createdAt: '2026-11-27T00:00:00.000Z', config: { origins: [] },
  functions: [fn(viewer), ...(origin ? [fn(origin)] : [])],
  associations: [{ 'viewer-request': { qualified: viewer, primary: viewer, includeBody: false }, ...(origin ? { 'origin-request': { qualified: origin, primary: origin, includeBody: false } } : {}) }],
});

describe('splitTraffic', () => {
  test('a changed version keeps the old one as primary and gets the share as its weighted additional version', () => {
    const mixed = splitTraffic(doc(1, 'auth:1'), doc(2, 'auth:2'), 10);
    expect(mixed.associations[0]!['viewer-request']).toEqual({ qualified: 'auth:2', primary: 'auth:1', additional: { key: 'auth:2', weight: 0.1 }, includeBody: false });
    expect(mixed.functions.map((f) => f.key)).toEqual(['auth:1', 'auth:2']);
    expect(mixed.revision).toBe(2);
  });
  test('at 100 % (or with nothing before) it is the new revision itself', () => {
    const next = doc(2, 'auth:2');
    expect(splitTraffic(doc(1, 'auth:1'), next, 100)).toBe(next);
    expect(splitTraffic(undefined, next, 10)).toBe(next);
  });
  test('an unchanged association and a new one take the new revision at once', () => {
    const mixed = splitTraffic(doc(1, 'auth:1'), doc(2, 'auth:1', 'pick:1'), 30);
    expect(mixed.associations[0]).toEqual(doc(2, 'auth:1', 'pick:1').associations[0]);
    expect(mixed.functions.map((f) => f.key)).toEqual(['auth:1', 'pick:1']);
  });
});
