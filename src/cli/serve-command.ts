import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../config/load-config.ts';
import type { VergeConfig } from '../config/types.ts';
import { startStaticSite, type StaticSite } from '../demo/static-site.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import { createLogger } from '../observability/logger.ts';
import { startEdgeNode } from '../proxy/edge-node.ts';

export interface ServeOptions {
  readonly configPath: string | undefined;
  readonly demo: boolean;
  readonly port: number | undefined;
  readonly watch: boolean;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_CONFIG = `${REPO_ROOT}examples/verge.demo.yaml`;
const DEMO_SITE = `${REPO_ROOT}examples/site`;
const DEMO_ORIGIN_PLACEHOLDER = 'http://127.0.0.1:8081';

/** `verge serve`: runs an edge node until SIGTERM/SIGINT, then drains in-flight requests. */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const logger = createLogger();
  // A stray rejected promise is a bug of ours, but it must cost at most the request it belonged to:
  // log it instead of letting Node's default end the process (an uncaught exception still does, and
  // the supervisor of a later issue restarts the worker).
  process.on('unhandledRejection', (reason) => {
    logger.error({ type: 'error', code: 'VERGE_ERR_INTERNAL', err: reason instanceof Error ? reason.stack : String(reason) }, 'Unhandled promise rejection');
  });
  let site: StaticSite | undefined;
  let config: VergeConfig;
  try {
    if (options.demo) {
      // The demo fronts ORIGIN_URL when given, otherwise a static site served by this same process.
      const originUrl = process.env.ORIGIN_URL ?? (site = await startStaticSite(DEMO_SITE)).url;
      config = await loadDemoConfig(originUrl);
    } else {
      config = await loadConfig(options.configPath!);
    }
  } catch (err) {
    await site?.close();
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
  let node;
  try {
    node = await startEdgeNode(config, { logger, port: options.port, watch: options.watch || options.demo });
  } catch (err) {
    await site?.close();
    const code = (err as NodeJS.ErrnoException).code;
    // A function that cannot load (a missing module, a broken package) stops startup, like a config error.
    if (err instanceof VergeError && code === 'VERGE_ERR_FUNCTION_LOAD') {
      process.stderr.write(`verge serve: ${err.message}\n`);
      return 1;
    }
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      const port = options.port ?? config.listen.port;
      process.stderr.write(`verge serve: cannot listen on ${config.listen.host}:${port} (${code}). Is another server using it? Pick another with --port N.\n`);
      return 1;
    }
    throw err;
  }
  if (options.demo) {
    process.stderr.write(`\nVerge demo: ${node.url} → ${site ? `demo site ${site.url}` : process.env.ORIGIN_URL}\nTry: curl -i ${node.url}/\n\n`);
  }
  await new Promise<void>((resolve) => {
    // Stay subscribed: a second Ctrl-C (the terminal signals the whole process group) must not
    // kill the process halfway through the drain.
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ type: 'signal', signal }, `Received ${signal}: draining in-flight requests`);
      resolve();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  await node.close();
  await site?.close();
  return 0;
}

/** The demo config with its placeholder origin pointed at the real URL, validated like any config. */
async function loadDemoConfig(originUrl: string): Promise<VergeConfig> {
  const raw = parseYaml(await readFile(DEMO_CONFIG, 'utf8')) as { origins: { url: string }[] };
  for (const origin of raw.origins) if (origin.url === DEMO_ORIGIN_PLACEHOLDER) origin.url = originUrl;
  return loadConfig({ raw, baseDir: dirname(DEMO_CONFIG), sourceName: `${DEMO_CONFIG} (origin ${originUrl})` });
}
