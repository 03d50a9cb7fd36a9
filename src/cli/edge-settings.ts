/**
 * Whether and how `verge serve` follows a control plane: the command line (`--control-plane URL
 * --location NAME --state-dir DIR`) over the file's `edge` section and `location`, the token from
 * VERGE_EDGE_TOKEN over `edge.token`.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EDGE_TOKEN_ENV } from '../config/edge-config.ts';
import type { VergeConfig } from '../config/types.ts';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../control/edge-agent.ts';
import { ConfigError, type ConfigIssue } from '../errors/verge-error.ts';

export interface EdgeCliOptions {
  readonly controlPlaneUrl?: string;
  readonly location?: string;
  readonly stateDir?: string;
}

export interface EdgeSettings {
  readonly controlPlaneUrl: string;
  readonly location: string;
  readonly token: string | undefined;
  readonly stateDir: string;
  readonly heartbeatIntervalMs: number;
  readonly pollWaitMs: number;
}

const LOCATION = /^[a-z0-9-]+$/;

/**
 * The settings, or undefined when the node serves its file alone.
 * @throws ConfigError naming the option (`--location`, `edge.controlPlaneUrl`, …)
 */
export async function resolveEdgeSettings(cli: EdgeCliOptions, config: VergeConfig | undefined, env: NodeJS.ProcessEnv, sourceName: string): Promise<EdgeSettings | undefined> {
  const issues: ConfigIssue[] = [];
  const url = cli.controlPlaneUrl ?? config?.edge?.controlPlaneUrl;
  if (url === undefined) {
    if (cli.location !== undefined) issues.push({ path: '--location', message: 'is for a node that follows a control plane: give --control-plane URL too' });
    if (cli.stateDir !== undefined) issues.push({ path: '--state-dir', message: 'is for a node that follows a control plane: give --control-plane URL too' });
    if (issues.length > 0) throw new ConfigError(issues, sourceName);
    return undefined;
  }
  if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) issues.push({ path: '--control-plane', message: `must be an http:// or https:// URL, got ${JSON.stringify(url)}` });
  const location = cli.location ?? config?.location;
  if (location === undefined) issues.push({ path: '--location', message: 'is required: the location this node serves (like fra-1)' });
  else if (!LOCATION.test(location)) issues.push({ path: '--location', message: `must match [a-z0-9-]+, got ${JSON.stringify(location)}` });
  const fromEnv = env[EDGE_TOKEN_ENV];
  const token = fromEnv !== undefined && fromEnv !== '' ? fromEnv : config?.edge?.token;
  if (issues.length > 0) throw new ConfigError(issues, sourceName);
  let stateDir = cli.stateDir === undefined ? config?.edge?.stateDir : path.resolve(cli.stateDir);
  try {
    if (stateDir === undefined) stateDir = await mkdtemp(path.join(tmpdir(), 'verge-edge-state-'));
    else await mkdir(stateDir, { recursive: true });
  } catch (err) {
    throw new ConfigError([{ path: cli.stateDir === undefined ? 'edge.stateDir' : '--state-dir', message: `cannot create ${stateDir}: ${(err as Error).message}` }], sourceName);
  }
  return {
    controlPlaneUrl: url,
    location: location!,
    token,
    stateDir,
    heartbeatIntervalMs: config?.edge?.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    pollWaitMs: config?.edge?.pollWaitMs ?? 20_000,
  };
}
