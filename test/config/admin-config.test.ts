import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { isLoopbackHost, resolveAdminSettings, type AdminConfig } from '../../src/config/admin-config.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';
import { startOrigin } from '../helpers/harness.ts';
import { configFile, runVerge } from '../helpers/verge-process.ts';

// The `admin` section: off unless present, its defaults, the token's rules, and why `verge serve`
// refuses an admin API reachable from other hosts without a token.

const TOKEN = 'a-token-of-enough-length';
const raw = (extra: Record<string, unknown> = {}) => ({ origins: [{ id: 'o', url: 'http://127.0.0.1:8081' }], behaviors: [{ pathPattern: '*', originId: 'o' }], ...extra });

function issuesOf(value: unknown): string[] {
  try {
    parseConfig(value, '/tmp', 'test.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

function resolveIssues(admin: AdminConfig, env: Record<string, string> = {}): string[] {
  try {
    resolveAdminSettings(admin, env, 'test.yaml');
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
  }
}

const admin = (host: string, token?: string): AdminConfig => ({ listen: { host, port: 9080 }, token, invalidationTimeoutMs: 10_000 });

describe('the admin section', () => {
  test('is off when absent, and `admin: {}` listens on 127.0.0.1:9080 without a token, waiting 10 s for workers', () => {
    expect(parseConfig(raw(), '/tmp').admin).toBeUndefined();
    expect(parseConfig(raw({ admin: {} }), '/tmp').admin).toEqual({ listen: { host: '127.0.0.1', port: 9080 }, token: undefined, invalidationTimeoutMs: 10_000 });
  });

  test('names each bad option by its path', () => {
    expect(issuesOf(raw({ admin: { listen: { host: '127.0.0.1', prot: 1 }, token: 'short', invalidationTimeoutMs: 10 } }))).toEqual([
      'admin.listen.prot: unknown option; allowed here: host, port',
      'admin.token: must be 16-4096 characters from A-Z a-z 0-9 - . _ ~ + / (then optional "=" padding), as a Bearer token (RFC 6750 §2.1)',
      'admin.invalidationTimeoutMs: Too small: expected number to be >=100',
    ]);
    expect(issuesOf(raw({ admin: { token: 'sixteen chars but spaces' } }))).toEqual([expect.stringMatching(/^admin\.token: must be 16-4096 characters/)]);
    expect(issuesOf(raw({ admin: { token: 'abcdefghijklmnopqrstuvwxyz0123456789-._~+/==' } }))).toEqual([]);
  });
});

describe('resolveAdminSettings', () => {
  test('allows no token on loopback addresses only', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', 'LocalHost', '::1', '[::1]']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '127.0.0.1.example.com', '::ffff:127.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
    expect(resolveIssues(admin('127.0.0.1'))).toEqual([]);
    expect(resolveIssues(admin('0.0.0.0'))).toEqual([
      'admin.token: is required when admin.listen.host (0.0.0.0) is not a loopback address: set admin.token or VERGE_ADMIN_TOKEN, or listen on 127.0.0.1',
    ]);
    expect(resolveIssues(admin('0.0.0.0', TOKEN))).toEqual([]);
  });

  test('takes VERGE_ADMIN_TOKEN over admin.token, and checks it the same way', () => {
    const env = 'from-the-environment-0123';
    expect(resolveAdminSettings(admin('0.0.0.0'), { VERGE_ADMIN_TOKEN: env }, 't')).toMatchObject({ token: env, tokenSource: 'env' });
    expect(resolveAdminSettings(admin('0.0.0.0', TOKEN), { VERGE_ADMIN_TOKEN: env }, 't')).toMatchObject({ token: env, tokenSource: 'env' });
    expect(resolveAdminSettings(admin('0.0.0.0', TOKEN), { VERGE_ADMIN_TOKEN: '' }, 't')).toMatchObject({ token: TOKEN, tokenSource: 'config' });
    expect(resolveAdminSettings(admin('127.0.0.1'), {}, 't')).toMatchObject({ token: undefined, tokenSource: 'none' });
    expect(resolveIssues(admin('127.0.0.1'), { VERGE_ADMIN_TOKEN: 'short' })).toEqual([expect.stringMatching(/^\(environment\) VERGE_ADMIN_TOKEN: must be 16-4096 characters/)]);
  });
});

describe('verge serve with an admin section', () => {
  test('refuses to start with the admin API on a non-loopback address and no token', async () => {
    const file = configFile(`origins: [{ id: o, url: "http://127.0.0.1:8081" }]
behaviors: [{ pathPattern: "*", originId: o }]
admin: { listen: { host: 0.0.0.0, port: 0 } }
`);
    const run = runVerge(['serve', '--config', file, '--port', '0', '--workers', '1']);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('admin.token: is required when admin.listen.host (0.0.0.0) is not a loopback address');
  });

  test('stops at once, forking no worker, when the admin port is in use', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    const origin = await startOrigin();
    try {
      const file = configFile(`origins: [{ id: o, url: "${origin.url}" }]
behaviors: [{ pathPattern: "*", originId: o }]
admin: { listen: { port: ${port} } }
`);
      const run = runVerge(['serve', '--config', file, '--port', '0', '--workers', '1']);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toBe(`verge serve: cannot listen on the admin address 127.0.0.1:${port} (EADDRINUSE). Is another server using it? Pick another with admin.listen.port or --admin-port N.\n`);
      expect(run.logs.some((l) => l.type === 'listening')).toBe(false);

      // --admin-port overrides the file.
      const moved = runVerge(['serve', '--config', file, '--port', '0', '--workers', '1', '--admin-port', '0']);
      const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setInterval(() => {
          const found = moved.logs.find((l) => l.type === 'workers-ready');
          if (found === undefined) return;
          clearInterval(timer);
          resolve(moved.logs.find((l) => l.type === 'admin-listening')!);
        }, 20);
        void moved.exited.then(() => reject(new Error(moved.stderr())));
      });
      expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(line.url).not.toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${line.url as string}/v1/health`)).status).toBe(200);
      moved.child.kill('SIGTERM');
      expect((await moved.exited).code).toBe(0);
    } finally {
      taken.close();
      await origin.close();
    }
  }, 30_000);
});
