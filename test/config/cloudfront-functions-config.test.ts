import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';
import { CFF_DEFAULT_TIMEOUT_MS, CFF_MEMORY_MB } from '../../src/config/cloudfront-functions-limits.ts';

let baseDir = '';
beforeAll(() => {
  baseDir = mkdtempSync(join(tmpdir(), 'verge-cff-config-'));
  writeFileSync(join(baseDir, 'cff.js'), 'function handler(event) { return event.request; }\n');
  writeFileSync(join(baseDir, 'lambda.js'), 'export const handler = async (e) => e.Records[0].cf.request;\n');
  writeFileSync(join(baseDir, 'big.js'), `function handler(event) { return event.request; }\n// ${'x'.repeat(10 * 1024)}\n`);
  writeFileSync(join(baseDir, 'store.json'), '{"data": []}');
  writeFileSync(join(baseDir, 'cff.mjs'), 'function handler(event) { return event.request; }\n');
  writeFileSync(join(baseDir, 'cff.ts'), 'function handler(event: any) { return event.request; }\n');
  writeFileSync(join(baseDir, 'cff.zip'), 'PK');
  mkdirSync(join(baseDir, 'cff-dir'));
  writeFileSync(join(baseDir, 'cff-dir', 'index.js'), 'function handler(event) { return event.request; }\n');
});
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

function raw(functions: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    origins: [{ id: 'o', url: 'http://127.0.0.1:8081' }],
    functions: [
      { name: 'cff', code: './cff.js', runtime: 'cloudfront-js-2.0' },
      { name: 'lambda', code: './lambda.js' },
    ],
    behaviors: [{ pathPattern: '*', originId: 'o', functions }],
    ...extra,
  };
}

function issuesOf(config: unknown): string[] {
  try {
    parseConfig(config, baseDir, 'test.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

describe('CloudFront Functions in the configuration', () => {
  test('a CloudFront Function gets its runtime, the fixed memory and the tight default time limit', () => {
    const config = parseConfig(raw({ 'viewer-request': { name: 'cff' } }), baseDir);
    const fn = config.functions[0]!;
    expect(fn.runtime).toBe('cloudfront-js-2.0');
    expect(fn.memoryMb).toBe(CFF_MEMORY_MB);
    expect(fn.timeoutMs).toBe(CFF_DEFAULT_TIMEOUT_MS);
    expect(config.functions[1]!.runtime).toBe('nodejs-edge');
    expect(config.functions[1]!.memoryMb).toBe(128);
  });

  test('CFF at viewer-request and Lambda@Edge at origin-request is allowed (CloudFront\'s table)', () => {
    expect(issuesOf(raw({ 'viewer-request': { name: 'cff' }, 'origin-request': { name: 'lambda' }, 'origin-response': { name: 'lambda' } }))).toEqual([]);
  });

  test('a CloudFront Function at an origin event is refused, naming the field', () => {
    expect(issuesOf(raw({ 'origin-request': { name: 'cff' } }))).toEqual([
      'behaviors[0].functions.origin-request.name: "cff" is a CloudFront Function (runtime: cloudfront-js-2.0), which CloudFront runs only at viewer-request and viewer-response; use a Lambda@Edge function (runtime: nodejs-edge) at origin-request',
    ]);
  });

  test('a CloudFront Function and a Lambda@Edge function in viewer events of one behavior are refused', () => {
    const issues = issuesOf(raw({ 'viewer-request': { name: 'cff' }, 'viewer-response': { name: 'lambda' } }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^behaviors\[0\]\.functions\.viewer-response\.name: CloudFront does not combine CloudFront Functions and Lambda@Edge in viewer events, and behaviors\[0\]\.functions\.viewer-request is a CloudFront Function/);
  });

  test('includeBody, memoryMb and a long timeout are refused on a CloudFront Function', () => {
    const config = raw({ 'viewer-request': { name: 'cff', includeBody: true } });
    (config.functions as Record<string, unknown>[])[0] = { name: 'cff', code: './cff.js', runtime: 'cloudfront-js-2.0', memoryMb: 128, timeoutMs: 5000 };
    expect(issuesOf(config)).toEqual([
      'functions[0].memoryMb: CloudFront Functions have a fixed memory (2 MB on CloudFront, 8 MB in Verge); remove memoryMb',
      'functions[0].timeoutMs: 5000 exceeds the CloudFront Functions limit of 1000 ms in Verge (CloudFront allows about 1 ms of compute)',
      'behaviors[0].functions.viewer-request.includeBody: CloudFront Functions cannot read the request body; remove includeBody',
    ]);
  });

  test('code over 10 KB is refused at load', () => {
    const config = raw({ 'viewer-request': { name: 'cff' } });
    (config.functions as Record<string, unknown>[])[0] = { name: 'cff', code: './big.js', runtime: 'cloudfront-js-2.0' };
    expect(issuesOf(config)).toEqual([expect.stringMatching(/^functions\[0\]\.code: \d+ bytes exceeds the CloudFront Functions limit of 10240 bytes \(10 KB\)$/)]);
  });

  test('key value stores: unique ids, existing files, known references, CloudFront Functions only', () => {
    const config = raw({}, {
      keyValueStores: [
        { id: 'kv', file: './store.json' },
        { id: 'kv', file: './missing.json' },
      ],
    });
    const fns = config.functions as Record<string, unknown>[];
    fns[0] = { ...fns[0], keyValueStore: 'nope' };
    fns[1] = { ...fns[1], keyValueStore: 'kv' };
    expect(issuesOf(config)).toEqual([
      'functions[0].keyValueStore: no key value store has id "nope" (defined: kv)',
      'functions[1].keyValueStore: only CloudFront Functions (runtime: cloudfront-js-2.0) can read a key value store',
      'keyValueStores[1].id: duplicate key value store id "kv" (first used by keyValueStores[0])',
      `keyValueStores[1].file: file not found: ${join(baseDir, 'missing.json')}`,
    ]);
  });

  test('a function\'s store is resolved to its id and absolute file', () => {
    const config = raw({ 'viewer-request': { name: 'cff' } }, { keyValueStores: [{ id: 'kv', file: './store.json' }] });
    (config.functions as Record<string, unknown>[])[0] = { name: 'cff', code: './cff.js', runtime: 'cloudfront-js-2.0', keyValueStore: 'kv' };
    expect(parseConfig(config, baseDir).functions[0]!.keyValueStore).toEqual({ id: 'kv', file: join(baseDir, 'store.json') });
  });

  test('an unknown runtime lists the two runtimes', () => {
    const config = raw({});
    (config.functions as Record<string, unknown>[])[0] = { name: 'cff', code: './cff.js', runtime: 'cloudfront-js-1.0' };
    expect(issuesOf(config)).toEqual([expect.stringMatching(/^functions\[0\]\.runtime: .*"nodejs-edge"\|"cloudfront-js-2\.0"/)]);
  });

  function withCff(fn: Record<string, unknown>): Record<string, unknown> {
    const config = raw({ 'viewer-request': { name: 'cff' } });
    (config.functions as Record<string, unknown>[])[0] = { name: 'cff', runtime: 'cloudfront-js-2.0', ...fn };
    return config;
  }

  test('a directory as a CloudFront Function\'s code is refused at load (not an EISDIR at serve)', () => {
    expect(issuesOf(withCff({ code: './cff-dir' }))).toEqual([
      `functions[0].code: ${join(baseDir, 'cff-dir')} is a directory; a CloudFront Function is one .js, .mjs, .cjs file, run as written (not bundled, transpiled or extracted)`,
    ]);
  });

  test('.ts and .zip code is refused for a CloudFront Function; .mjs is accepted', () => {
    for (const file of ['cff.ts', 'cff.zip']) {
      expect(issuesOf(withCff({ code: `./${file}` }))).toEqual([
        `functions[0].code: ${join(baseDir, file)}: a CloudFront Function is one .js, .mjs, .cjs file, run as written (not bundled, transpiled or extracted)`,
      ]);
    }
    expect(issuesOf(withCff({ code: './cff.mjs' }))).toEqual([]);
    expect(issuesOf(withCff({ code: './missing.js' }))).toEqual([`functions[0].code: file not found: ${join(baseDir, 'missing.js')}`]);
  });

  test('handler, environment and maxSubrequests are refused on a CloudFront Function', () => {
    expect(issuesOf(withCff({ code: './cff.js', handler: 'cff.handler', environment: { A: 'b' }, maxSubrequests: 5 }))).toEqual([
      'functions[0].handler: a CloudFront Function is always the top-level function named handler in its script; remove handler',
      'functions[0].environment: CloudFront Functions have no environment variables (a key value store holds such data); remove environment',
      'functions[0].maxSubrequests: CloudFront Functions have no network access (no fetch); remove maxSubrequests',
    ]);
  });
});
