import { describe, test, expect, beforeAll, afterAll } from 'vitest';
import { MANAGED_CACHE_POLICIES } from '../../src/config/cache-config.ts';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseConfig, formatIssuePath } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'verge-load-config-'));
  mkdirSync(join(dir, 'edge-functions', 'auth'), { recursive: true });
  writeFileSync(join(dir, 'edge-functions', 'auth', 'index.js'), 'export const handler = async (event) => event.Records[0].cf.request;\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const completeYaml = `
listen: { host: 0.0.0.0, port: 0 }
location: fra-1
distribution: { id: EDFDVBD6EXAMPLE, domainName: d111111abcdef8.cloudfront.net }
origins:
  - id: site
    url: http://127.0.0.1:8081
  - id: api
    url: https://api.example.com:8443/base/
    connectTimeoutMs: 2000
    readTimeoutMs: 60000
    customHeaders: { x-origin-key: abc }
functions:
  - name: auth
    code: ./edge-functions/auth/index.js
    memoryMb: 128
    timeoutMs: 3000
    maxSubrequests: 10
    environment: { STAGE: test }
behaviors:
  - pathPattern: "/api/*"
    originId: api
    functions:
      viewer-request: { name: auth }
      origin-request: { name: auth, includeBody: true }
    cachePolicy: { defaultTtlS: 60, queryStrings: { behavior: whitelist, items: [page] }, headers: { behavior: whitelist, items: [X-Tenant] } }
  - pathPattern: "*"
    originId: site
    cachePolicy: CachingOptimized
    compress: true
errors: { executionErrorStatus: 500 }
cache: { store: disk, dir: ./cache, maxSizeMb: 100, maxObjectSizeMb: 10 }
`;

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function issuesOfFile(file: string): Promise<string[]> {
  const error = await loadConfig(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).issues.map((issue) => `${issue.path}: ${issue.message}`);
}

describe('loading a config file', () => {
  test('a complete YAML file loads with every option in its final shape', async () => {
    const config = await loadConfig(writeConfig('complete.yaml', completeYaml));
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 0 });
    expect(config.location).toBe('fra-1');
    expect(config.distribution).toEqual({ id: 'EDFDVBD6EXAMPLE', domainName: 'd111111abcdef8.cloudfront.net' });
    expect(config.origins).toEqual([
      {
        id: 'site', protocol: 'http', domainName: '127.0.0.1', port: 8081, path: '', url: 'http://127.0.0.1:8081',
        connectTimeoutMs: 10_000, readTimeoutMs: 30_000, customHeaders: {},
      },
      {
        id: 'api', protocol: 'https', domainName: 'api.example.com', port: 8443, path: '/base', url: 'https://api.example.com:8443/base/',
        connectTimeoutMs: 2000, readTimeoutMs: 60_000, customHeaders: { 'x-origin-key': 'abc' },
      },
    ]);
    expect(config.functions).toEqual([
      {
        name: 'auth', codePath: join(dir, 'edge-functions', 'auth', 'index.js'), handler: 'index.handler', runtime: 'nodejs-edge',
        memoryMb: 128, timeoutMs: 3000, maxSubrequests: 10, environment: { STAGE: 'test' },
      },
    ]);
    expect(config.behaviors.map(({ matches: _, ...behavior }) => behavior)).toEqual([
      {
        pathPattern: '/api/*', originId: 'api',
        functions: { 'viewer-request': { name: 'auth', includeBody: false }, 'origin-request': { name: 'auth', includeBody: true } },
        cachePolicy: {
          name: 'custom', minTtlS: 0, defaultTtlS: 60, maxTtlS: 31_536_000,
          headers: { behavior: 'whitelist', items: ['x-tenant'] }, cookies: { behavior: 'none', items: [] },
          queryStrings: { behavior: 'whitelist', items: ['page'] },
          enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false,
        },
        compress: false,
      },
      { pathPattern: '*', originId: 'site', functions: {}, cachePolicy: MANAGED_CACHE_POLICIES.CachingOptimized, compress: true },
    ]);
    expect(config.errors).toEqual({ executionErrorStatus: 500 });
    expect(config.cache).toEqual({ store: 'disk', dir: join(dir, 'cache'), maxSizeMb: 100, maxObjectSizeMb: 10, collapseWaitMs: 10_000 });
    expect(config.baseDir).toBe(dir);
  });

  test('the loaded config is deeply frozen', async () => {
    const config = await loadConfig(writeConfig('frozen.yaml', completeYaml));
    const nested: unknown[] = [
      config, config.listen, config.distribution, config.origins, config.origins[1], config.origins[1]?.customHeaders,
      config.functions, config.functions[0], config.functions[0]?.environment, config.behaviors, config.behaviors[0],
      config.behaviors[0]?.functions, config.behaviors[0]?.functions['origin-request'], config.errors,
    ];
    for (const value of nested) expect(Object.isFrozen(value)).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  test('omitted options take their defaults', () => {
    writeFileSync(join(dir, 'handler.js'), '');
    const config = parseConfig(
      { origins: [{ id: 'o', url: 'https://example.com/' }], functions: [{ name: 'f', code: 'handler.js' }], behaviors: [{ pathPattern: '*', originId: 'o' }] },
      dir,
    );
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.location).toBe('local');
    expect(config.distribution).toEqual({ id: 'VERGELOCAL', domainName: 'verge.local' });
    expect(config.origins[0]).toMatchObject({ protocol: 'https', port: 443, path: '', connectTimeoutMs: 10_000, readTimeoutMs: 30_000, customHeaders: {} });
    expect(config.functions[0]).toEqual({ name: 'f', codePath: join(dir, 'handler.js'), handler: 'index.handler', runtime: 'nodejs-edge', memoryMb: 128, timeoutMs: 5000, maxSubrequests: 50, environment: {} });
    expect(config.behaviors[0]?.functions).toEqual({});
    expect(config.errors).toEqual({ executionErrorStatus: 503 });
  });

  test('a .yml file loads like a .yaml file', async () => {
    const config = await loadConfig(writeConfig('short.yml', completeYaml));
    expect(config.location).toBe('fra-1');
  });

  test('a JSON file loads and resolves code paths against its own directory', async () => {
    mkdirSync(join(dir, 'json-site', 'fns'), { recursive: true });
    writeFileSync(join(dir, 'json-site', 'fns', 'h.js'), '');
    const file = join(dir, 'json-site', 'verge.json');
    writeFileSync(file, JSON.stringify({
      origins: [{ id: 'o', url: 'http://localhost:3000' }],
      functions: [{ name: 'h', code: 'fns/h.js' }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-response': { name: 'h' } } }],
    }));
    const config = await loadConfig(file);
    expect(config.functions[0]?.codePath).toBe(join(dir, 'json-site', 'fns', 'h.js'));
    expect(config.baseDir).toBe(join(dir, 'json-site'));
  });

  test('a raw source resolves code paths against its baseDir', async () => {
    const config = await loadConfig({
      raw: { origins: [{ id: 'o', url: 'http://localhost' }], functions: [{ name: 'a', code: 'auth/index.js' }], behaviors: [{ pathPattern: '*', originId: 'o' }] },
      baseDir: join(dir, 'edge-functions'),
    });
    expect(config.functions[0]?.codePath).toBe(join(dir, 'edge-functions', 'auth', 'index.js'));
  });

  test('a raw source names itself in the error message', async () => {
    await expect(loadConfig({ raw: {}, baseDir: dir, sourceName: 'inline test config' })).rejects.toThrow(/Invalid configuration in inline test config:/);
  });

  test('behaviors carry a compiled matcher for their path pattern', async () => {
    const config = await loadConfig(writeConfig('matchers.yaml', completeYaml));
    expect(config.behaviors[0]?.matches('/api/users')).toBe(true);
    expect(config.behaviors[0]?.matches('/apix')).toBe(false);
    expect(config.behaviors[1]?.matches('/anything')).toBe(true);
  });

  test('an invalid YAML file lists every problem by path', async () => {
    const file = writeConfig('invalid.yaml', `
listen: { port: 70000 }
origins:
  - { id: site, url: "ftp://x" }
behaviors:
  - pathPattern: /a/*
    originId: nowhere
    functions:
      viewer-request: { name: ghost }
`);
    expect(await issuesOfFile(file)).toEqual([
      'listen.port: Too big: expected number to be <=65535',
      'origins[0].url: must start with http:// or https:// (got "ftp://x")',
      'behaviors[0].originId: no origin has id "nowhere" (defined: site)',
      'behaviors[0].functions.viewer-request.name: no function is named "ghost" (none are defined)',
    ]);
  });
});

describe('files that cannot be used', () => {
  test('a missing file is a ConfigError naming the file', async () => {
    const file = join(dir, 'does-not-exist.yaml');
    expect(await issuesOfFile(file)).toEqual([expect.stringContaining(`: cannot read ${file}: ENOENT`)]);
  });

  test('a YAML syntax error reports its line and column', async () => {
    const file = writeConfig('broken.yaml', 'origins:\n  - id: a\n    url: [unclosed\n');
    expect(await issuesOfFile(file)).toEqual([expect.stringMatching(/^: YAML line \d+, column \d+: /)]);
  });

  test('a duplicate YAML key is an error rather than a silent override', async () => {
    const file = writeConfig('duplicate-key.yaml', 'location: a\nlocation: b\n');
    expect(await issuesOfFile(file)).toEqual([': YAML line 2, column 1: Map keys must be unique']);
  });

  test('a JSON syntax error is reported', async () => {
    const file = writeConfig('broken.json', '{ "origins": [ }');
    expect(await issuesOfFile(file)).toEqual([expect.stringMatching(/^: invalid JSON: /)]);
  });

  test('an empty YAML file says the configuration must be a mapping', async () => {
    const file = writeConfig('empty.yaml', '');
    expect(await issuesOfFile(file)).toEqual([': the configuration must be a mapping of options, got nothing']);
  });

  test('an unknown file extension is rejected before reading', async () => {
    const file = writeConfig('verge.toml', 'listen = 1');
    expect(await issuesOfFile(file)).toEqual([': unsupported file extension ".toml"; use .yaml, .yml or .json']);
  });
});

describe('formatIssuePath', () => {
  test('numbers become indexes and keys are joined by dots', () => {
    expect(formatIssuePath(['behaviors', 2, 'functions', 'viewer-request', 'name'])).toBe('behaviors[2].functions.viewer-request.name');
  });

  test('keys that would be ambiguous are quoted', () => {
    expect(formatIssuePath(['origins', 0, 'customHeaders', 'a.b c'])).toBe('origins[0].customHeaders["a.b c"]');
  });

  test('the empty path is the root', () => {
    expect(formatIssuePath([])).toBe('');
  });
});
