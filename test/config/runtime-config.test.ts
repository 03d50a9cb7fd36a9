import { availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';

// The `runtime` section and `functions[].reservedConcurrency`: defaults, ranges, messages by path.

let baseDir = '';
beforeAll(() => {
  baseDir = mkdtempSync(join(tmpdir(), 'verge-runtime-config-'));
  writeFileSync(join(baseDir, 'f.js'), 'exports.handler = async (e) => e.Records[0].cf.request;\n');
});
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

function raw(extra: Record<string, unknown> = {}, fn: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    origins: [{ id: 'o', url: 'http://127.0.0.1:8081' }],
    functions: [{ name: 'f', code: './f.js', ...fn }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'f' } } }],
    ...extra,
  };
}

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value, baseDir, 'test.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

test('without a runtime section the defaults apply: one warm isolate per core per version, recycling after 1,000,000 calls or 75% of memoryMb, 1,000 warm isolates, 2 GB', () => {
  const config = parseConfig(raw(), baseDir);
  expect(config.runtime).toEqual({
    isolatesPerVersion: availableParallelism(),
    recycleAfterInvocations: 1_000_000,
    recycleHeapPercent: 75,
    maxWarmIsolates: 1_000,
    maxWarmMemoryMb: 2_048,
  });
  expect(Object.isFrozen(config.runtime)).toBe(true);
});

test('every runtime option can be set', () => {
  const runtime = { isolatesPerVersion: 1, recycleAfterInvocations: 0, recycleHeapPercent: 0, maxWarmIsolates: 5, maxWarmMemoryMb: 64 };
  expect(parseConfig(raw({ runtime }), baseDir).runtime).toEqual(runtime);
});

test('runtime options outside their ranges are rejected naming the option', () => {
  expect(issuesOf(raw({ runtime: { isolatesPerVersion: 0, recycleHeapPercent: 101, maxWarmIsolates: 1.5, maxWarmMemoryMb: -1, recycleAfterInvocations: 'often' } }))).toEqual([
    'runtime.isolatesPerVersion: Too small: expected number to be >=1',
    'runtime.recycleAfterInvocations: Invalid input: expected number, received string',
    'runtime.recycleHeapPercent: Too big: expected number to be <=100',
    'runtime.maxWarmIsolates: Invalid input: expected int, received number',
    'runtime.maxWarmMemoryMb: Too small: expected number to be >=1',
  ]);
});

test('an unknown runtime option is rejected listing the allowed ones', () => {
  expect(issuesOf(raw({ runtime: { warmIsolates: 3 } }))).toEqual([
    'runtime.warmIsolates: unknown option; allowed here: isolatesPerVersion, recycleAfterInvocations, recycleHeapPercent, maxWarmIsolates, maxWarmMemoryMb',
  ]);
});

test('reservedConcurrency is optional, may be 0, and must be a non-negative integer', () => {
  expect(parseConfig(raw(), baseDir).functions[0]!.reservedConcurrency).toBeUndefined();
  expect(parseConfig(raw({}, { reservedConcurrency: 0 }), baseDir).functions[0]!.reservedConcurrency).toBe(0);
  expect(parseConfig(raw({}, { reservedConcurrency: 25 }), baseDir).functions[0]!.reservedConcurrency).toBe(25);
  expect(issuesOf(raw({}, { reservedConcurrency: -1 }))).toEqual(['functions[0].reservedConcurrency: Too small: expected number to be >=0']);
  expect(issuesOf(raw({}, { reservedConcurrency: 2.5 }))).toEqual(['functions[0].reservedConcurrency: Invalid input: expected int, received number']);
});
