import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config/load-config.ts';
import type { VergeConfig } from '../config/types.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_CONFIG = `${REPO_ROOT}examples/verge.demo.yaml`;
export const DEMO_SITE = `${REPO_ROOT}examples/site`;
const DEMO_ORIGIN_PLACEHOLDER = 'http://127.0.0.1:8081';

/** Where `verge serve` gets its configuration: a file, or the demo's with its origin URL. */
export type ServeConfigSource = { readonly configPath: string } | { readonly demoOriginUrl: string };

/** What the supervisor passes to each worker (src/cli/serve-worker.ts), as JSON in VERGE_WORKER. */
export interface WorkerSettings {
  readonly source: ServeConfigSource;
  readonly port: number | undefined;
  readonly watch: boolean;
}

export const WORKER_SETTINGS_ENV = 'VERGE_WORKER';

/**
 * Loads and validates the configuration of `verge serve`. The supervisor calls it once to fail fast
 * (and to read `workers`), then each worker calls it again: a validated config holds compiled path
 * matchers, which do not cross a process boundary.
 * @throws ConfigError listing every problem
 */
export function loadServeConfig(source: ServeConfigSource): Promise<VergeConfig> {
  return 'configPath' in source ? loadConfig(source.configPath) : loadDemoConfig(source.demoOriginUrl);
}

/** The demo config with its placeholder origin pointed at the real URL, validated like any config. */
async function loadDemoConfig(originUrl: string): Promise<VergeConfig> {
  const raw = parseYaml(await readFile(DEMO_CONFIG, 'utf8')) as { origins: { url: string }[] };
  for (const origin of raw.origins) if (origin.url === DEMO_ORIGIN_PLACEHOLDER) origin.url = originUrl;
  return loadConfig({ raw, baseDir: dirname(DEMO_CONFIG), sourceName: `${DEMO_CONFIG} (origin ${originUrl})` });
}
