/**
 * The HTTP client of the control-plane commands (`verge functions`, `alias`, `distributions`,
 * `deploy`, `locations`): the admin API's address and token as `verge invalidate` takes them
 * (--admin-url / VERGE_ADMIN_URL, --token / VERGE_ADMIN_TOKEN), JSON answers, and the API's error
 * `{ code, message, issues }` turned into one CLI error.
 */
import { hostname, userInfo } from 'node:os';
import { request } from 'undici';
import { ADMIN_TOKEN_ENV } from '../config/admin-config.ts';
import { ADMIN_URL_ENV, DEFAULT_ADMIN_URL } from './invalidate-command.ts';

const REQUEST_TIMEOUT_MS = 120_000;

/** A failure to print as `verge <command>: <message>`, with the exit code: 2 for usage, 1 otherwise. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface ClientOptions {
  readonly adminUrl?: string | undefined;
  readonly token?: string | undefined;
}

/** The options every control-plane command takes (node:util parseArgs shapes). */
export const CLIENT_OPTIONS = {
  'admin-url': { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export class ControlClient {
  readonly adminUrl: string;
  readonly #token: string | undefined;
  readonly #actor: string;

  constructor(options: ClientOptions) {
    this.adminUrl = (options.adminUrl ?? process.env[ADMIN_URL_ENV] ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
    if (!/^https?:\/\//i.test(this.adminUrl) || !URL.canParse(this.adminUrl)) throw new CliError(`--admin-url must be an http:// or https:// URL, got "${this.adminUrl}"`, 2);
    this.#token = options.token ?? (process.env[ADMIN_TOKEN_ENV] || undefined);
    this.#actor = actorName();
  }

  /** The JSON answer of a 2xx; throws CliError with the API's code and message otherwise. */
  async call<T = any>(method: string, path: string, body?: { json: unknown } | { bytes: Uint8Array; contentType: string }): Promise<T> {
    const url = `${this.adminUrl}${path}`;
    const headers: Record<string, string> = { 'x-verge-actor': this.#actor, ...(this.#token === undefined ? {} : { authorization: `Bearer ${this.#token}` }) };
    let payload: string | Uint8Array | undefined;
    if (body !== undefined && 'json' in body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body.json);
    } else if (body !== undefined) {
      headers['content-type'] = body.contentType;
      payload = body.bytes;
    }
    let status: number;
    let text: string;
    try {
      // undici's request, as `verge invalidate`: fetch refuses ports browsers block.
      const res = await request(url, { method: method as 'GET', headers, body: payload, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const { code, message } = err as { code?: string; message: string };
      throw new CliError(`cannot reach the control plane at ${this.adminUrl} (${code ?? message}). Is \`verge control-plane\` running? Give its address with --admin-url or ${ADMIN_URL_ENV}.`);
    }
    let parsed: any;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`unexpected answer from ${url}: ${status} (is --admin-url the control plane's address?)`);
    }
    if (status < 200 || status > 299) {
      const hint = status === 401 ? ` (give the token with --token or ${ADMIN_TOKEN_ENV})` : '';
      const issues = Array.isArray(parsed?.issues) && parsed.issues.length > 1 ? `\n${parsed.issues.map((i: { path: string; message: string }) => `  - ${i.path || '(body)'}: ${i.message}`).join('\n')}` : '';
      throw new CliError(`${status} ${parsed?.code ?? ''}: ${parsed?.message ?? text}${hint}${issues}`);
    }
    return parsed as T;
  }
}

function actorName(): string {
  try {
    return `${userInfo().username}@${hostname()}`.replace(/[^\x21-\x7e]/g, '_').slice(0, 128);
  } catch {
    return 'verge-cli';
  }
}
