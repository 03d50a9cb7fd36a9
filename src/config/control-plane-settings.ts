/**
 * The settings `verge control-plane` runs with, from the `controlPlane` section of a config file
 * (control-plane-config.ts). Apart from the schema so that schema.ts can include the section
 * without importing load-config.ts back.
 */
import path from 'node:path';
import type { ControlStoreOptions } from '../control/open-control-store.ts';
import { ConfigError, type ConfigIssue } from '../errors/verge-error.ts';
import { resolveAdminSettings, type AdminSettings } from './admin-config.ts';
import { controlPlaneSchema } from './control-plane-config.ts';
import { formatIssuePath } from './load-config.ts';

export interface ControlPlaneSettings {
  readonly admin: AdminSettings;
  readonly store: ControlStoreOptions;
  readonly developmentMode: boolean;
}

/**
 * The control plane's settings from a parsed config file: the store's file resolved against the
 * file's directory, the token from VERGE_ADMIN_TOKEN when set.
 * @throws ConfigError naming `controlPlane.…`
 */
export function controlPlaneSettings(raw: unknown, baseDir: string, env: NodeJS.ProcessEnv, sourceName: string): ControlPlaneSettings {
  const section = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).controlPlane : undefined;
  if (section === undefined) throw new ConfigError([{ path: 'controlPlane', message: 'required option is missing: verge control-plane runs the controlPlane section (docs/control-plane.md)' }], sourceName);
  const parsed = controlPlaneSchema.safeParse(section);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.flatMap((i) =>
      i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: formatIssuePath(['controlPlane', ...i.path, k]), message: i.message })) : [{ path: formatIssuePath(['controlPlane', ...i.path]), message: i.message }],
    );
    throw new ConfigError(issues, sourceName);
  }
  const { listen, token, store, developmentMode } = parsed.data;
  let admin: AdminSettings;
  try {
    admin = resolveAdminSettings({ listen, token, invalidationTimeoutMs: 10_000 }, env, sourceName);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues.map((i) => ({ ...i, path: i.path.replace(/^admin\./, 'controlPlane.') })), sourceName);
    throw err;
  }
  const file = store.file === ':memory:' ? store.file : path.resolve(baseDir, store.file);
  return { admin, store: { kind: 'sqlite', file }, developmentMode };
}
