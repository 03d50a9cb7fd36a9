/**
 * `verge control-plane --config FILE [--port N]`: runs the control plane — the admin API with the
 * control plane's routes (functions, versions, aliases, distributions, deployments, locations, the
 * edge API) over the store of the `controlPlane` section — until SIGTERM/SIGINT. A process of its
 * own, apart from `verge serve`: edge nodes at many locations follow one control plane.
 */
import { startAdminServer, type AdminServer } from '../admin/admin-server.ts';
import { controlPlaneSettings } from '../config/control-plane-settings.ts';
import { readConfigFile } from '../config/load-config.ts';
import { createControlPlane } from '../control/control-plane.ts';
import type { ControlStore } from '../control/control-store.ts';
import { openControlStore } from '../control/open-control-store.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import { createLogger, flushLogger } from '../observability/logger.ts';

export interface ControlPlaneOptions {
  readonly configPath: string;
  /** `--port`: overrides controlPlane.listen.port (0 picks a free port). */
  readonly port?: number;
}

export async function controlPlaneCommand(options: ControlPlaneOptions): Promise<number> {
  const logger = createLogger();
  let store: ControlStore | undefined;
  let server: AdminServer | undefined;
  let stopRollouts: () => Promise<void> = async () => undefined;
  try {
    const { raw, baseDir, sourceName } = await readConfigFile(options.configPath);
    const settings = controlPlaneSettings(raw, baseDir, process.env, sourceName ?? options.configPath);
    const admin = options.port === undefined ? settings.admin : { ...settings.admin, listen: { ...settings.admin.listen, port: options.port } };
    store = await openControlStore(settings.store);
    const controlPlane = createControlPlane(store, { developmentMode: settings.developmentMode, logger });
    server = await startAdminServer({ admin, controlPlane, logger });
    stopRollouts = () => controlPlane.rollouts.stop();
    controlPlane.rollouts.startTicking();
    logger.info({ type: 'control-plane-ready', url: server.url, store: settings.store.kind, file: settings.store.file, developmentMode: settings.developmentMode }, `Verge control plane on ${server.url} (store: ${settings.store.kind} ${settings.store.file}${settings.developmentMode ? ', development mode: $LATEST may be associated' : ''})`);
  } catch (err) {
    await store?.close();
    await flushLogger(logger);
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else if (err instanceof VergeError) process.stderr.write(`verge control-plane: ${err.code}: ${err.message}\n`);
    else {
      const code = (err as NodeJS.ErrnoException).code;
      process.stderr.write(`verge control-plane: ${code === 'EADDRINUSE' || code === 'EACCES' ? `cannot listen (${code}); pick another port with controlPlane.listen.port or --port N` : (err as Error).message}\n`);
    }
    return 1;
  }
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ type: 'control-plane-stopping', signal }, `Verge control plane stopping (${signal})`);
  await stopRollouts();
  await server.close();
  await store.close();
  await flushLogger(logger);
  return 0;
}
