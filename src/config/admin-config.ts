/**
 * The node's admin API (src/admin/): where it listens, the bearer token it asks for, how long an
 * invalidation waits for the workers. Absent means no admin server: an endpoint that purges the
 * cache is something an operator turns on, and a fixed default port would make two nodes on one
 * host (or a node started with `--port 0`, as tests do) collide on it. The demo config turns it
 * on, so `npm start` offers `verge invalidate` from the first run.
 */
import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/verge-error.ts';

/** Where the admin API listens when `admin.listen` does not say; `verge invalidate`'s default URL. */
export const ADMIN_DEFAULT_HOST = '127.0.0.1';
export const ADMIN_DEFAULT_PORT = 9080;
/** The environment variable that holds the token (for `verge serve` and `verge invalidate` alike). */
export const ADMIN_TOKEN_ENV = 'VERGE_ADMIN_TOKEN';

const intIn = (min: number, max: number) => z.int().min(min).max(max);
/** An unknown key lists the keys allowed there, as every section of the file does (schema.ts). */
const unknownKey = (allowed: string) => ({ error: (iss: { code?: string }) => (iss.code === 'unrecognized_keys' ? `unknown option; allowed here: ${allowed}` : undefined) });

// RFC 6750 §2.1 b64token: anything else cannot be sent as `Authorization: Bearer <token>`. At least
// 16 characters: the token is all that guards the endpoint, and a short one is guessed.
const TOKEN_RULE = 'must be 16-4096 characters from A-Z a-z 0-9 - . _ ~ + / (then optional "=" padding), as a Bearer token (RFC 6750 §2.1)';
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]+=*$/;
export const adminTokenSchema = z.string().min(16, TOKEN_RULE).max(4096, TOKEN_RULE).regex(TOKEN_PATTERN, TOKEN_RULE);

export const adminSchema = z.strictObject({
  listen: z
    .strictObject(
      {
        host: z.string().min(1).default(ADMIN_DEFAULT_HOST),
        // 0 asks the OS for a free port (the `admin-listening` log line names it).
        port: intIn(0, 65535).default(ADMIN_DEFAULT_PORT),
      },
      unknownKey('host, port'),
    )
    .prefault({}),
  // Better given as VERGE_ADMIN_TOKEN, which overrides it: a secret need not sit in the file.
  token: adminTokenSchema.optional(),
  // How long POST /v1/invalidations waits for every worker's answer before answering InProgress.
  invalidationTimeoutMs: intIn(100, 600_000).default(10_000),
}, unknownKey('listen, token, invalidationTimeoutMs'));

export interface AdminConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly token: string | undefined;
  readonly invalidationTimeoutMs: number;
}

/** The admin settings a node runs with: the config's, with the token from the environment when set. */
export interface AdminSettings extends AdminConfig {
  /** Where the token came from, for the startup log line (never the token itself). */
  readonly tokenSource: 'config' | 'env' | 'none';
}

/**
 * Loopback addresses and the name that means them: nothing off this host can reach an admin server
 * bound there, so it may run without a token.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost' || bare === '::1') return true;
  return isIPv4(bare) && bare.startsWith('127.');
}

/**
 * Resolves the token (`VERGE_ADMIN_TOKEN` when set and not empty, else `admin.token`) and refuses
 * a non-loopback listen address without one: the admin API purges the cache, and on 0.0.0.0 without
 * a token anyone who can reach the port could empty it.
 * @throws ConfigError naming `admin.token` or `VERGE_ADMIN_TOKEN`
 */
export function resolveAdminSettings(admin: AdminConfig, env: NodeJS.ProcessEnv, sourceName: string): AdminSettings {
  const issues: ConfigIssue[] = [];
  const fromEnv = env[ADMIN_TOKEN_ENV];
  let token = admin.token;
  let tokenSource: AdminSettings['tokenSource'] = token === undefined ? 'none' : 'config';
  if (fromEnv !== undefined && fromEnv !== '') {
    const parsed = adminTokenSchema.safeParse(fromEnv);
    if (parsed.success) {
      token = parsed.data;
      tokenSource = 'env';
    } else {
      issues.push({ path: `(environment) ${ADMIN_TOKEN_ENV}`, message: TOKEN_RULE });
    }
  }
  if (token === undefined && issues.length === 0 && !isLoopbackHost(admin.listen.host)) {
    issues.push({
      path: 'admin.token',
      message: `is required when admin.listen.host (${admin.listen.host}) is not a loopback address: set admin.token or ${ADMIN_TOKEN_ENV}, or listen on 127.0.0.1`,
    });
  }
  if (issues.length > 0) throw new ConfigError(issues, sourceName);
  return { ...admin, token, tokenSource };
}
