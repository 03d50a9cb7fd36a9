import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { readConfigFile, type RawConfigSource } from '../config/load-config.ts';
import type { ListenConfig } from '../config/types.ts';
import type { RevisionDocument } from '../control/revision-document.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_CONFIG = `${REPO_ROOT}examples/verge.demo.yaml`;
export const DEMO_SITE = `${REPO_ROOT}examples/site`;
const DEMO_ORIGIN_PLACEHOLDER = 'http://127.0.0.1:8081';

/**
 * What the supervisor hands each worker (src/cli/serve-worker.ts) in its start message. The config
 * travels as the raw value read once by the supervisor, not re-read from the file, so every worker,
 * replacements included, serves the configuration that was validated at startup; a validated config
 * holds compiled path matchers, which cannot cross a process boundary, so each worker validates it again.
 */
export interface WorkerSettings {
  /** Undefined for a node that follows a control plane without a config file (it waits for a revision). */
  readonly config: RawConfigSource | undefined;
  /** A node that follows a control plane (cli/worker-revision-target.ts). */
  readonly edge?: {
    readonly listen: ListenConfig;
    readonly location: string;
    /** The document the node serves now, whose code is in codeDir: applied before the worker says it is ready. */
    readonly revision: { readonly doc: RevisionDocument; readonly codeDir: string } | undefined;
  };
  /** The port every worker listens on (0 only for the first worker when any free port will do). */
  readonly port: number;
  readonly watch: boolean;
}

/**
 * The configuration of `verge serve`, read but not yet validated: the file given with --config, or
 * with --demo the demo's, its placeholder origin pointed at `demoOriginUrl`.
 * @throws ConfigError when the file cannot be read or parsed
 */
export async function readServeConfig(source: { readonly configPath: string } | { readonly demoOriginUrl: string }): Promise<RawConfigSource> {
  if ('configPath' in source) return readConfigFile(source.configPath);
  const raw = parseYaml(await readFile(DEMO_CONFIG, 'utf8')) as { origins: { url: string }[] };
  for (const origin of raw.origins) if (origin.url === DEMO_ORIGIN_PLACEHOLDER) origin.url = source.demoOriginUrl;
  return { raw, baseDir: dirname(DEMO_CONFIG), sourceName: `${DEMO_CONFIG} (origin ${source.demoOriginUrl})` };
}
