import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { workerCacheTargets } from '../admin/worker-cache-targets.ts';
import { startAdminServer, type AdminServer } from '../admin/admin-server.ts';
import { ADMIN_DEFAULT_PORT, resolveAdminSettings, type AdminSettings } from '../config/admin-config.ts';
import { loadConfig, type RawConfigSource } from '../config/load-config.ts';
import type { VergeConfig, WorkersSetting } from '../config/types.ts';
import { startStaticSite, type StaticSite } from '../demo/static-site.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import { loadFunctionVersion } from '../runtime/function-version.ts';
import { flushLogger } from '../observability/logger.ts';
import { startSupervisor, WorkerStartError, type Supervisor } from '../proxy/supervisor.ts';
import { createSharedStdoutLogger } from './shared-stdout-logger.ts';
import { DEMO_SITE, readServeConfig, type WorkerSettings } from './serve-config.ts';
import { resolveEdgeSettings, type EdgeCliOptions, type EdgeSettings } from './edge-settings.ts';
import { workerRevisionTarget } from './worker-revision-target.ts';
import { startEdgeAgent, type EdgeAgent } from '../control/edge-agent.ts';
import type { ListenConfig } from '../config/types.ts';
import { listenSchema } from '../config/schema.ts';
import { defaultWorkerStallMs } from '../config/worker-stall.ts';
import { ORIGIN_EVENT_MAX_TIMEOUT_MS } from '../config/lambda-edge-limits.ts';
import { join } from 'node:path';
import { createControlPlane, type ControlPlane } from '../control/control-plane.ts';
import type { ControlStore } from '../control/control-store.ts';
import { seedDemoControlPlane } from '../control/demo-seed.ts';
import { openControlStore } from '../control/open-control-store.ts';

export interface ServeOptions {
  readonly configPath: string | undefined;
  readonly demo: boolean;
  readonly port: number | undefined;
  readonly watch: boolean;
  /** `--workers`: overrides the config file's `workers`. */
  readonly workers?: WorkersSetting;
  /** `--admin-port`: overrides `admin.listen.port` (0 picks a free port); ignored without an `admin` section. */
  readonly adminPort?: number;
  /** `--control-plane`, `--location`, `--state-dir`: follow a control plane (with or without --config). */
  readonly edge?: EdgeCliOptions;
}

/** The reason startup was aborted: a signal came before every worker was ready. */
class StartupInterrupted extends Error {
  readonly signal: string;
  constructor(signal: string) {
    super(`${signal} during startup`);
    this.signal = signal;
  }
}

/**
 * How long a worker may take to get ready: a minute for Node, isolated-vm and bundling, plus each
 * function's timeoutMs, since a worker prewarms every function (its top level runs, bounded by its
 * timeoutMs) before it listens.
 */
function readyTimeoutMs(config: VergeConfig): number {
  return 60_000 + config.functions.reduce((sum, fn) => sum + fn.timeoutMs, 0);
}

const WORKER_SCRIPT = fileURLToPath(new URL('./serve-worker.ts', import.meta.url));

/**
 * `verge serve`: validates the configuration, then runs the edge node as a supervisor with one
 * worker process per core (src/proxy/supervisor.ts) until SIGTERM/SIGINT, which drains every worker.
 */
export async function serveCommand(options: ServeOptions): Promise<number> {
  const logger = createSharedStdoutLogger();
  // The supervisor going down takes every worker with it: a stray rejected promise is logged, never fatal.
  process.on('unhandledRejection', (reason) => {
    logger.error({ type: 'error', code: 'VERGE_ERR_INTERNAL', err: reason instanceof Error ? reason.stack : String(reason) }, 'Unhandled promise rejection in the supervisor');
  });
  // Stay subscribed from the start: a signal during startup must stop the workers started so far
  // (not wait for every one to get ready, nor orphan them), and a second Ctrl-C must not cut the
  // drain short.
  const startup = new AbortController();
  let onSignal: (signal: string) => void = () => undefined;
  const signalled = new Promise<string>((resolve) => (onSignal = resolve));
  const handle = (signal: string) => {
    onSignal(signal);
    startup.abort(new StartupInterrupted(signal));
  };
  process.on('SIGTERM', () => handle('SIGTERM'));
  process.on('SIGINT', () => handle('SIGINT'));
  let site: StaticSite | undefined;
  let raw: RawConfigSource | undefined;
  let config: VergeConfig | undefined;
  let adminSettings: AdminSettings | undefined;
  let edge: EdgeSettings | undefined;
  try {
    if (options.configPath === undefined && !options.demo) {
      // A node that follows a control plane and has no file: it waits for (or restores) a revision.
    } else if (options.demo) {
      // The demo fronts ORIGIN_URL when given, otherwise a static site served by the supervisor
      // (it stands for the origin, which is not the edge node's request handling).
      const demoOriginUrl = process.env.ORIGIN_URL ?? (site = await startStaticSite(DEMO_SITE)).url;
      raw = await readServeConfig({ demoOriginUrl });
    } else {
      raw = await readServeConfig({ configPath: options.configPath! });
    }
    if (raw !== undefined) {
      // Validated here once, so a bad file is reported before any worker starts.
      config = await loadConfig(raw);
      // Every function bundled and module-checked here too (esbuild, no isolates): a function that
      // cannot load stops startup with its message, rather than every worker failing the same way.
      await Promise.all(config.functions.map((fn) => loadFunctionVersion(fn)));
    }
    edge = await resolveEdgeSettings(options.edge ?? {}, config, process.env, raw?.sourceName ?? 'command line');
    if (config?.admin !== undefined) {
      const listen = { ...config.admin.listen, port: options.adminPort ?? config.admin.listen.port };
      adminSettings = resolveAdminSettings({ ...config.admin, listen }, process.env, raw?.sourceName ?? 'config');
    }
  } catch (err) {
    await site?.close();
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    if (err instanceof VergeError && err.code === 'VERGE_ERR_FUNCTION_LOAD') {
      process.stderr.write(`verge serve: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (startup.signal.aborted) {
    await site?.close();
    return 0;
  }
  const setting = options.workers ?? config?.workers ?? 'auto';
  const workers = setting === 'auto' ? availableParallelism() : setting;
  // Without a file, the node listens where listen's defaults say (or --port).
  const listen: ListenConfig = config?.listen ?? listenSchema.parse({});
  const port = options.port ?? listen.port;
  // A control plane may send functions with any timeoutMs up to the origin events' 30 s, and a
  // revision's prewarm runs a cold start on the worker's thread: the watchdog must outlast it.
  const stallMs = Math.max(config?.workerStallMs ?? 0, edge === undefined ? 0 : defaultWorkerStallMs([{ timeoutMs: ORIGIN_EVENT_MAX_TIMEOUT_MS }]));
  const readyMs = config === undefined ? 60_000 : readyTimeoutMs(config);

  // `npm start`: the embedded default runs a control plane in this process too (issue 5 §3), seeded
  // from the demo config, and the edge location follows it like any other (docs/control-plane.md).
  let embedded: { readonly cp: ControlPlane; readonly store: ControlStore } | undefined;
  if (options.demo && config !== undefined && raw !== undefined && adminSettings !== undefined) {
    const store = await openControlStore({ kind: 'sqlite', file: join(demoStateDir(raw.baseDir), 'control.sqlite') });
    embedded = { cp: createControlPlane(store, { developmentMode: false, logger }), store };
  }
  // The admin API, one per node, in the supervisor: it listens before any worker forks, so an admin
  // port in use stops startup at once; until the workers serve it has no cache to purge.
  let admin: AdminServer | undefined;
  if (adminSettings !== undefined) {
    try {
      admin = await startAdminServer({
        admin: adminSettings,
        targets: () => (supervisor === undefined ? [] : workerCacheTargets(supervisor)),
        store: config!.cache.store,
        logger,
        ...(embedded === undefined ? {} : { controlPlane: embedded.cp }),
      });
    } catch (err) {
      await embedded?.store.close();
      await site?.close();
      await flushLogger(logger);
      const { code } = err as NodeJS.ErrnoException;
      process.stderr.write(`verge serve: cannot listen on the admin address ${adminSettings.listen.host}:${adminSettings.listen.port} (${code ?? (err as Error).message}). Is another server using it? Pick another with admin.listen.port or --admin-port N.\n`);
      return 1;
    }
  }
  if (embedded !== undefined && admin !== undefined && config !== undefined && raw !== undefined) {
    const seeded = await seedDemoControlPlane(embedded.cp, config, raw.raw as Record<string, unknown>);
    logger.info({ type: 'demo-seeded', ...seeded }, `Demo control plane: ${seeded.distributionId} revision ${seeded.revision}${seeded.deployed ? ' deployed' : ''} to ${config.location}`);
    embedded.cp.rollouts.startTicking();
    edge = { controlPlaneUrl: admin.url, location: config.location, token: adminSettings?.token, stateDir: join(demoStateDir(raw.baseDir), 'edge'), heartbeatIntervalMs: 10_000, pollWaitMs: 20_000 };
  }
  // Declared before the edge agent: restoring a saved revision asks the target for the serving
  // workers (none yet) before the supervisor exists.
  let supervisor: Supervisor | undefined;
  // The edge agent runs here, once for all workers (cli/worker-revision-target.ts). The revision
  // saved in the state directory is restored first, so every worker starts with it.
  const target = edge === undefined ? undefined : workerRevisionTarget(() => supervisor, logger);
  let agent: EdgeAgent | undefined;
  if (edge !== undefined && target !== undefined) {
    agent = await startEdgeAgent({
      location: edge.location,
      controlPlaneUrl: edge.controlPlaneUrl,
      token: edge.token,
      stateDir: edge.stateDir,
      target,
      logger,
      heartbeatIntervalMs: edge.heartbeatIntervalMs,
      pollWaitMs: edge.pollWaitMs,
      nodeVersion: process.version,
      deferFollow: true,
      // A control-plane invalidation purges every worker's cache, like the node's own admin API does.
      invalidate: async (request) => {
        const counts = await Promise.all((supervisor === undefined ? [] : workerCacheTargets(supervisor)).map((t) => t.invalidate(request)));
        return counts.reduce((a, b) => a + b, 0);
      },
    });
  }
  const workerData = (workerPort: number): WorkerSettings => ({
    config: raw,
    port: workerPort,
    watch: options.watch || options.demo,
    ...(edge === undefined ? {} : { edge: { listen, location: edge.location, revision: target?.latest() } }),
  });

  try {
    supervisor = await startSupervisor({
      workers,
      workerScript: WORKER_SCRIPT,
      host: listen.host,
      port,
      workerData,
      logger,
      stallMs,
      readyTimeoutMs: readyMs,
      abortSignal: startup.signal,
      ...(target === undefined ? {} : { onReady: target.onReady }),
    });
  } catch (err) {
    await agent?.stop();
    await embedded?.cp.rollouts.stop();
    await admin?.close();
    await embedded?.store.close();
    await site?.close();
    if (err instanceof StartupInterrupted) {
      logger.info({ type: 'stopped', signal: err.signal }, `Received ${err.signal} during startup: stopped every worker`);
      await flushLogger(logger);
      return 0;
    }
    await flushLogger(logger);
    if (!(err instanceof WorkerStartError)) throw err;
    if (err.code !== undefined) {
      process.stderr.write(`verge serve: cannot listen on ${listen.host}:${port} (${err.code}). Is another server using it? Pick another with --port N.\n`);
    } else {
      process.stderr.write(`verge serve: workers cannot start: ${err.message}\n`);
    }
    return 1;
  }
  if (options.demo) {
    const invalidate = admin === undefined ? '' : `Purge the cache: npx verge invalidate '/*'${admin.port === ADMIN_DEFAULT_PORT ? '' : ` --admin-url ${admin.url}`}\n`;
    process.stderr.write(`\nVerge demo: ${supervisor.url} → ${site ? `demo site ${site.url}` : process.env.ORIGIN_URL}\nTry: curl -i ${supervisor.url}/\n${invalidate}\n`);
  }
  agent?.follow();
  const outcome = await Promise.race([signalled.then((signal) => ({ signal })), supervisor.gaveUp.then((reason) => ({ reason }))]);
  if ('signal' in outcome) logger.info({ type: 'signal', signal: outcome.signal }, `Received ${outcome.signal}: draining every worker`);
  await agent?.stop();
  await embedded?.cp.rollouts.stop();
  await admin?.close();
  await supervisor.stop();
  await embedded?.store.close();
  await site?.close();
  logger.info({ type: 'stopped' }, 'Verge supervisor stopped');
  await flushLogger(logger);
  if ('reason' in outcome) {
    process.stderr.write(`verge serve: workers cannot start: ${outcome.reason}\n`);
    return 1;
  }
  return 0;
}

/** Where the demo keeps its control plane and its edge state: `.verge/` in the repository (git-ignored), or VERGE_DEMO_STATE_DIR. */
function demoStateDir(examplesDir: string): string {
  return process.env.VERGE_DEMO_STATE_DIR || join(examplesDir, '..', '.verge');
}
