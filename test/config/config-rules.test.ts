import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';
import { FUNCTION_LIMITS_BY_EVENT, GENERATED_RESPONSE_MAX_BYTES, INCLUDE_BODY_MAX_BYTES } from '../../src/config/lambda-edge-limits.ts';

let baseDir = '';
beforeAll(() => {
  baseDir = mkdtempSync(join(tmpdir(), 'verge-config-rules-'));
  mkdirSync(join(baseDir, 'fns'));
  for (const name of ['auth', 'big', 'slow']) writeFileSync(join(baseDir, 'fns', `${name}.js`), 'export const handler = async () => {};\n');
});
afterAll(() => rmSync(baseDir, { recursive: true, force: true }));

/** A valid config to break one option at a time. */
function validRaw(): Record<string, any> {
  return {
    origins: [
      { id: 'site', url: 'http://127.0.0.1:8081' },
      { id: 'api', url: 'https://api.example.com/v1' },
    ],
    functions: [
      { name: 'auth', code: './fns/auth.js' },
      { name: 'big', code: './fns/big.js', memoryMb: 1024, timeoutMs: 8000 },
    ],
    behaviors: [
      { pathPattern: '/api/*', originId: 'api', functions: { 'viewer-request': { name: 'auth' } } },
      { pathPattern: '*', originId: 'site' },
    ],
  };
}

/** Every issue as `path: message`, or [] when the config is valid. */
function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw, baseDir, 'test.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

describe('options checked one by one', () => {
  test('the valid base config has no issues', () => {
    expect(issuesOf(validRaw())).toEqual([]);
  });

  test('an unknown top-level key is named in the path', () => {
    expect(issuesOf({ ...validRaw(), caches: {} })).toEqual([
      'caches: unknown option; allowed here: listen, location, distribution, origins, functions, keyValueStores, behaviors, errors, cache, runtime, workers, workerStallMs, controlPlane, admin, edge',
    ]);
  });

  test('an unknown nested key is named in the path', () => {
    const raw = validRaw();
    raw.origins[1].timeout = 5;
    raw.behaviors[0].functions['viewer-reqest'] = { name: 'auth' };
    expect(issuesOf(raw)).toEqual([
      'origins[1].timeout: unknown option; allowed here: id, url, connectTimeoutMs, readTimeoutMs, customHeaders',
      'behaviors[0].functions.viewer-reqest: unknown option; allowed here: viewer-request, origin-request, origin-response, viewer-response',
    ]);
  });

  test('a missing required option says it is missing', () => {
    const raw = validRaw();
    delete raw.origins[0].url;
    expect(issuesOf(raw)).toEqual(['origins[0].url: required option is missing (expected string)']);
  });

  test('port 0 is accepted for an ephemeral port and 65536 is rejected', () => {
    expect(issuesOf({ ...validRaw(), listen: { port: 0 } })).toEqual([]);
    expect(issuesOf({ ...validRaw(), listen: { port: 65536 } })).toEqual([expect.stringMatching(/^listen\.port: /)]);
  });

  test('a location outside [a-z0-9-] is rejected', () => {
    expect(issuesOf({ ...validRaw(), location: 'us-east-1' })).toEqual([]);
    expect(issuesOf({ ...validRaw(), location: 'US East' })).toEqual(['location: must match [a-z0-9-]+']);
  });

  test('workers is auto by default and accepts auto or a count from 1 to 256', () => {
    expect(parseConfig(validRaw(), baseDir).workers).toBe('auto');
    expect(parseConfig({ ...validRaw(), workers: 3 }, baseDir).workers).toBe(3);
    expect(issuesOf({ ...validRaw(), workers: 'auto' })).toEqual([]);
    for (const bad of [0, 257, 1.5, 'all', '2']) {
      expect(issuesOf({ ...validRaw(), workers: bad }), String(bad)).toEqual(['workers: must be "auto" or a whole number from 1 to 256']);
    }
  });

  test('workerStallMs defaults to the longest function timeoutMs plus 5 s, at least 10 s, and accepts 1000 to 600000', () => {
    // validRaw's longest timeoutMs is 8000.
    expect(parseConfig(validRaw(), baseDir).workerStallMs).toBe(13_000);
    expect(parseConfig({ ...validRaw(), functions: [{ name: 'auth', code: './fns/auth.js' }], behaviors: [{ pathPattern: '*', originId: 'site' }] }, baseDir).workerStallMs).toBe(10_000);
    expect(parseConfig({ ...validRaw(), workerStallMs: 9000 }, baseDir).workerStallMs).toBe(9000);
    expect(parseConfig({ ...validRaw(), functions: [], behaviors: [{ pathPattern: '*', originId: 'site' }], workerStallMs: 1000 }, baseDir).workerStallMs).toBe(1000);
    for (const bad of [999, 600_001, 1500.5, '2000']) {
      expect(issuesOf({ ...validRaw(), workerStallMs: bad }), String(bad)).toEqual(['workerStallMs: must be a whole number of milliseconds from 1000 to 600000']);
    }
  });

  test('an explicit workerStallMs below the longest function timeoutMs + 1000 is rejected: the watchdog could kill a worker in a legitimate cold start', () => {
    expect(issuesOf({ ...validRaw(), workerStallMs: 8999 })).toEqual([
      'workerStallMs: must be at least 9000 (the longest function timeoutMs, 8000 of function "big", + 1000): a cold start runs on the worker\'s thread for up to its timeoutMs, and the watchdog would kill the worker meanwhile; got 8999',
    ]);
  });

  test('executionErrorStatus accepts 500 and 503 only', () => {
    expect(issuesOf({ ...validRaw(), errors: { executionErrorStatus: 500 } })).toEqual([]);
    expect(issuesOf({ ...validRaw(), errors: { executionErrorStatus: 502 } })).toEqual([expect.stringMatching(/^errors\.executionErrorStatus: /)]);
  });

  test('cache: the disk store needs a dir, and one object may not exceed the whole cache', () => {
    expect(issuesOf({ ...validRaw(), cache: { store: 'disk' } })).toEqual(['cache.dir: is required when store is "disk"']);
    expect(issuesOf({ ...validRaw(), cache: { maxSizeMb: 10, maxObjectSizeMb: 20 } })).toEqual(['cache.maxObjectSizeMb: must not exceed maxSizeMb (10)']);
  });

  test('cachePolicy: an unknown managed name lists the presets; custom TTLs must satisfy min ≤ default ≤ max', () => {
    const withPolicy = (cachePolicy: unknown) => {
      const raw = validRaw();
      raw.behaviors[0].cachePolicy = cachePolicy;
      return issuesOf(raw);
    };
    expect(withPolicy('CachingOptimized')).toEqual([]);
    expect(withPolicy('CachingFast')).toEqual([expect.stringMatching(/^behaviors\[0\]\.cachePolicy: must be one of the managed policies \(CachingOptimized, .*CachingDisabled/)]);
    expect(withPolicy({ minTtlS: 10, defaultTtlS: 5 })).toEqual(['behaviors[0].cachePolicy.defaultTtlS: must be at least minTtlS (10)']);
    expect(withPolicy({ defaultTtlS: 50, maxTtlS: 10 })).toEqual(['behaviors[0].cachePolicy.maxTtlS: must be at least defaultTtlS (50)']);
    expect(withPolicy({ queryStrings: { behavior: 'some' } })).toEqual([expect.stringMatching(/^behaviors\[0\]\.cachePolicy\.queryStrings\.behavior: /)]);
  });

  test.each([
    ['ftp://files.example.com', 'must start with http:// or https://'],
    ['127.0.0.1:8081', 'must start with http:// or https://'],
    ['http://example.com/?x=1', 'must not contain a query string or fragment'],
    ['http://example.com/#top', 'must not contain a query string or fragment'],
    ['http://user:secret@example.com', 'must not contain credentials'],
    ['http://exa mple.com', 'is not a valid URL'],
  ])('the origin url %s is rejected', (url, message) => {
    const raw = validRaw();
    raw.origins[0].url = url;
    expect(issuesOf(raw)).toEqual([expect.stringContaining(`origins[0].url: ${message}`)]);
  });

  test('origin timeouts outside their ranges are rejected', () => {
    const raw = validRaw();
    raw.origins[0].connectTimeoutMs = 60_001;
    raw.origins[1].readTimeoutMs = 180_001;
    expect(issuesOf(raw)).toEqual([
      expect.stringMatching(/^origins\[0\]\.connectTimeoutMs: /),
      expect.stringMatching(/^origins\[1\]\.readTimeoutMs: /),
    ]);
    raw.origins[0].connectTimeoutMs = 60_000;
    raw.origins[1].readTimeoutMs = 180_000;
    expect(issuesOf(raw)).toEqual([]);
  });

  test('a custom header that could inject another header is rejected', () => {
    const raw = validRaw();
    raw.origins[0].customHeaders = { 'x-ok': 'fine', 'x-bad': 'a\r\nx-evil: 1', 'bad name': 'v' };
    expect(issuesOf(raw)).toEqual([
      'origins[0].customHeaders.x-bad: header value must not contain CR, LF or NUL',
      'origins[0].customHeaders["bad name"]: invalid name: header name must be an HTTP token (RFC 9110 §5.6.2)',
    ]);
  });

  test('an origin custom header CloudFront cannot add to origin requests is rejected', () => {
    const raw = validRaw();
    raw.origins[0].customHeaders = { 'x-ok': 'fine', Host: 'other.example', 'X-Amz-Cf-Id': 'forged' };
    expect(issuesOf(raw)).toEqual([
      'origins[0].customHeaders.Host: CloudFront cannot add this header to origin requests',
      'origins[0].customHeaders.X-Amz-Cf-Id: CloudFront cannot add this header to origin requests',
    ]);
  });

  test('a function name outside [A-Za-z0-9_-]{1,64} is rejected', () => {
    const raw = validRaw();
    raw.functions[0].name = 'has space';
    raw.behaviors[0].functions['viewer-request'].name = 'has space';
    expect(issuesOf(raw)).toEqual(['functions[0].name: must be 1-64 characters from A-Z a-z 0-9 _ -']);
  });

  test('maxSubrequests outside 0..1000 is rejected, naming the option', () => {
    const raw = validRaw();
    (raw.functions[0] as Record<string, unknown>).maxSubrequests = 5000;
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^functions\[0\]\.maxSubrequests: /)]);
  });

  test('an unsupported runtime is rejected', () => {
    const raw = validRaw();
    raw.functions[0].runtime = 'python3.12';
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^functions\[0\]\.runtime: /)]);
  });

  test('a path pattern without a leading slash is rejected', () => {
    const raw = validRaw();
    raw.behaviors[0].pathPattern = 'api/*';
    expect(issuesOf(raw)).toEqual(['behaviors[0].pathPattern: must start with "/" (write "/api/*") or be exactly "*"']);
  });

  test('a config without behaviors is rejected', () => {
    expect(issuesOf({ ...validRaw(), behaviors: [] })).toEqual(['behaviors: at least one behavior is required']);
  });
});

describe('rules between options', () => {
  test('duplicate origin ids are rejected pointing at the first one', () => {
    const raw = validRaw();
    raw.origins.push({ id: 'site', url: 'http://127.0.0.1:9000' });
    expect(issuesOf(raw)).toEqual(['origins[2].id: duplicate origin id "site" (first used by origins[0])']);
  });

  test('duplicate function names are rejected pointing at the first one', () => {
    const raw = validRaw();
    raw.functions.push({ name: 'auth', code: './fns/slow.js' });
    expect(issuesOf(raw)).toEqual(['functions[2].name: duplicate function name "auth" (first used by functions[0])']);
  });

  test('a behavior naming an unknown origin is rejected listing the known ones', () => {
    const raw = validRaw();
    raw.behaviors[1].originId = 'nope';
    expect(issuesOf(raw)).toEqual(['behaviors[1].originId: no origin has id "nope" (defined: site, api)']);
  });

  test('a behavior naming an unknown function is rejected at the association name', () => {
    const raw = validRaw();
    raw.behaviors[0].functions['origin-request'] = { name: 'missing' };
    expect(issuesOf(raw)).toEqual(['behaviors[0].functions.origin-request.name: no function is named "missing" (defined: auth, big)']);
  });

  test('includeBody is accepted on request events and defaults to false', () => {
    const raw = validRaw();
    raw.behaviors[0].functions['viewer-request'].includeBody = true;
    raw.behaviors[0].functions['origin-request'] = { name: 'big', includeBody: true };
    raw.behaviors[0].functions['origin-response'] = { name: 'big' };
    const config = parseConfig(raw, baseDir);
    expect(config.behaviors[0]?.functions).toEqual({
      'viewer-request': { name: 'auth', includeBody: true },
      'origin-request': { name: 'big', includeBody: true },
      'origin-response': { name: 'big', includeBody: false },
    });
  });

  test('includeBody on a response event is rejected', () => {
    const raw = validRaw();
    raw.behaviors[0].functions['origin-response'] = { name: 'big', includeBody: true };
    raw.behaviors[0].functions['viewer-response'] = { name: 'auth', includeBody: false };
    expect(issuesOf(raw)).toEqual([
      'behaviors[0].functions.origin-response.includeBody: includeBody is only allowed on viewer-request and origin-request',
      'behaviors[0].functions.viewer-response.includeBody: includeBody is only allowed on viewer-request and origin-request',
    ]);
  });

  test('a viewer function over 128 MB is rejected naming the field', () => {
    const raw = validRaw();
    raw.functions[0].memoryMb = 256;
    expect(issuesOf(raw)).toEqual([
      'functions[0].memoryMb: 256 exceeds the viewer-request limit of 128 MB (used by behaviors[0].functions.viewer-request)',
    ]);
  });

  test('a viewer function over 5000 ms is rejected naming the field', () => {
    const raw = validRaw();
    raw.behaviors[1].functions = { 'viewer-request': { name: 'big' } };
    expect(issuesOf(raw)).toEqual([
      'functions[1].memoryMb: 1024 exceeds the viewer-request limit of 128 MB (used by behaviors[1].functions.viewer-request)',
      'functions[1].timeoutMs: 8000 exceeds the viewer-request limit of 5000 ms (used by behaviors[1].functions.viewer-request)',
    ]);
  });

  test('viewer-response has the same limits as viewer-request', () => {
    const raw = validRaw();
    raw.behaviors[0].functions['viewer-response'] = { name: 'big' };
    raw.behaviors[1].functions = { 'viewer-response': { name: 'big' } };
    expect(issuesOf(raw)).toEqual([
      'functions[1].memoryMb: 1024 exceeds the viewer-response limit of 128 MB (used by behaviors[0].functions.viewer-response, behaviors[1].functions.viewer-response)',
      'functions[1].timeoutMs: 8000 exceeds the viewer-response limit of 5000 ms (used by behaviors[0].functions.viewer-response, behaviors[1].functions.viewer-response)',
    ]);
  });

  test('origin events allow up to 10240 MB and 30000 ms', () => {
    const raw = validRaw();
    raw.functions[1].memoryMb = 10_240;
    raw.functions[1].timeoutMs = 30_000;
    raw.behaviors[0].functions['origin-request'] = { name: 'big' };
    raw.behaviors[0].functions['origin-response'] = { name: 'big' };
    expect(issuesOf(raw)).toEqual([]);
    raw.functions[1].memoryMb = 10_241;
    raw.functions[1].timeoutMs = 30_001;
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^functions\[1\]\.memoryMb: /), expect.stringMatching(/^functions\[1\]\.timeoutMs: /)]);
  });

  test('a function used by no behavior may have origin-sized limits', () => {
    const raw = validRaw();
    raw.functions.push({ name: 'slow', code: './fns/slow.js', memoryMb: 4096, timeoutMs: 30_000 });
    expect(issuesOf(raw)).toEqual([]);
  });

  test('a function code file that does not exist is rejected with its absolute path', () => {
    const raw = validRaw();
    raw.functions[0].code = './fns/nope.js';
    expect(issuesOf(raw)).toEqual([`functions[0].code: file not found: ${join(baseDir, 'fns', 'nope.js')}`]);
  });

  test('a function code path that is a directory without the handler file is rejected at handler', () => {
    const raw = validRaw();
    raw.functions[0].code = './fns';
    expect(issuesOf(raw)).toEqual([`functions[0].handler: index.handler: no file index{.js,.mjs,.cjs,.ts,.mts,.cts} in ${join(baseDir, 'fns')}`]);
  });

  test('a duplicate path pattern is rejected because it could never match', () => {
    const raw = validRaw();
    raw.behaviors.splice(1, 0, { pathPattern: '/api/*', originId: 'site' });
    expect(issuesOf(raw)).toEqual(['behaviors[1].pathPattern: duplicate pathPattern "/api/*" (first used by behaviors[0])']);
  });

  test('a behavior after the catch-all is rejected because it could never match', () => {
    const raw = validRaw();
    raw.behaviors.push({ pathPattern: '/late/*', originId: 'site' });
    expect(issuesOf(raw)).toEqual(['behaviors[2].pathPattern: can never match: behaviors[1] ("*") comes first and matches every path']);
  });
});

describe('several problems at once', () => {
  test('every problem is reported together, in file order, each with its path', () => {
    const raw = validRaw();
    raw.listen = { port: -1, hots: 'x' };
    raw.origins[1].id = 'site';
    raw.functions[0].memoryMb = 512;
    raw.functions[1].code = './fns/missing.js';
    raw.behaviors[0].functions['viewer-response'] = { name: 'ghost', includeBody: true };
    raw.behaviors[1].originId = 'api';
    raw.errors = { executionErrorStatus: 404 };
    const issues = issuesOf(raw);
    expect(issues.map((issue) => issue.slice(0, issue.indexOf(':')))).toEqual([
      'listen.port',
      'listen.hots',
      'origins[1].id',
      'functions[0].memoryMb',
      'functions[1].code',
      'behaviors[0].functions.viewer-response.includeBody',
      // origins[1] was api: renaming it to a duplicate leaves this reference dangling
      'behaviors[0].originId',
      'behaviors[0].functions.viewer-response.name',
      'behaviors[1].originId',
      'errors.executionErrorStatus',
    ]);
  });

  test('a broken function still counts as declared so its references stay quiet', () => {
    const raw = validRaw();
    raw.functions[0].memoryMb = 'lots';
    expect(issuesOf(raw)).toEqual([expect.stringMatching(/^functions\[0\]\.memoryMb: /)]);
  });

  test('the thrown error has the config code, the user fault and the source name', () => {
    let caught: unknown;
    try {
      parseConfig({}, baseDir, 'verge.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect(caught).toMatchObject({ code: 'VERGE_ERR_CONFIG_INVALID', fault: 'user' });
    expect((caught as ConfigError).message).toContain('Invalid configuration in verge.yaml:\n  - origins: required option is missing');
  });
});

describe('Lambda@Edge limits table', () => {
  test('viewer events are capped at 128 MB, 5 s and 1 MB packages, origin events at 10240 MB, 30 s and 50 MB', () => {
    expect(FUNCTION_LIMITS_BY_EVENT).toEqual({
      'viewer-request': { maxMemoryMb: 128, maxTimeoutMs: 5000, maxPackageBytes: 1024 * 1024 },
      'origin-request': { maxMemoryMb: 10_240, maxTimeoutMs: 30_000, maxPackageBytes: 50 * 1024 * 1024 },
      'origin-response': { maxMemoryMb: 10_240, maxTimeoutMs: 30_000, maxPackageBytes: 50 * 1024 * 1024 },
      'viewer-response': { maxMemoryMb: 128, maxTimeoutMs: 5000, maxPackageBytes: 1024 * 1024 },
    });
  });

  test('bodies are limited to 40 KB on viewer events and 1 MB on origin events', () => {
    expect(INCLUDE_BODY_MAX_BYTES).toEqual({ 'viewer-request': 40 * 1024, 'origin-request': 1024 * 1024 });
    expect(GENERATED_RESPONSE_MAX_BYTES['viewer-request']).toBe(40 * 1024);
    expect(GENERATED_RESPONSE_MAX_BYTES['origin-request']).toBe(1024 * 1024);
  });
});
