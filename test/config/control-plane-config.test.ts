import { describe, expect, test } from 'vitest';
import { controlPlaneSettings } from '../../src/config/control-plane-settings.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';

const TOKEN = 'a-control-plane-token-123456';

function issuesOf(raw: unknown, env: NodeJS.ProcessEnv = {}): { path: string; message: string }[] {
  try {
    controlPlaneSettings(raw, '/srv/verge', env, 'cp.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  return [];
}

describe('the controlPlane section', () => {
  test('defaults: the admin API address, no development mode, the store file resolved against the config directory', () => {
    const s = controlPlaneSettings({ controlPlane: { store: { kind: 'sqlite', file: 'state/cp.sqlite' } } }, '/srv/verge', {}, 'cp.yaml');
    expect(s).toEqual({ admin: { listen: { host: '127.0.0.1', port: 9080 }, token: undefined, tokenSource: 'none', invalidationTimeoutMs: 10_000 }, store: { kind: 'sqlite', file: '/srv/verge/state/cp.sqlite' }, developmentMode: false });
  });

  test('VERGE_ADMIN_TOKEN overrides the token, as for admin', () => {
    const s = controlPlaneSettings({ controlPlane: { token: TOKEN, store: { kind: 'sqlite', file: ':memory:' } } }, '/x', { VERGE_ADMIN_TOKEN: `${TOKEN}-env` }, 'cp.yaml');
    expect(s.admin).toMatchObject({ token: `${TOKEN}-env`, tokenSource: 'env' });
    expect(s.store.file).toBe(':memory:');
  });

  test.each([
    ['no section', {}, 'controlPlane', 'required option is missing'],
    ['no store', { controlPlane: {} }, 'controlPlane.store', 'must be { kind: sqlite, file: PATH }'],
    ['another store', { controlPlane: { store: { kind: 'postgres', file: 'x' } } }, 'controlPlane.store.kind', 'must be { kind: sqlite, file: PATH }'],
    ['a typo', { controlPlane: { store: { kind: 'sqlite', file: 'x' }, devMode: true } }, 'controlPlane.devMode', 'unknown option; allowed here: listen, token, store, developmentMode'],
    ['a short token', { controlPlane: { token: 'short', store: { kind: 'sqlite', file: 'x' } } }, 'controlPlane.token', 'must be 16-4096 characters'],
    ['no token off loopback', { controlPlane: { listen: { host: '0.0.0.0' }, store: { kind: 'sqlite', file: 'x' } } }, 'controlPlane.token', 'is required when admin.listen.host (0.0.0.0) is not a loopback address'],
  ])('%s is refused, naming the option', (_what, raw, path, message) => {
    expect(issuesOf(raw)).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });

  test('an edge node config file may hold the section: verge serve ignores it', () => {
    const config = parseConfig({ origins: [{ id: 'o', url: 'http://127.0.0.1:1' }], behaviors: [{ pathPattern: '*', originId: 'o' }], controlPlane: { store: { kind: 'sqlite', file: 'cp.sqlite' } } }, '/x');
    expect(config.origins).toHaveLength(1);
  });
});
