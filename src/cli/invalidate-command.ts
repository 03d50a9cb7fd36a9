/**
 * `verge invalidate [PATH…] [--tag TAG]…`: asks a node's admin API (POST /v1/invalidations) to purge
 * paths (CloudFront's: exact, or a prefix ending in `*`) and tags from every worker's cache, then
 * prints what happened. Exit status: 0 when the invalidation completed, 1 when it did not (or the
 * admin API could not be reached, or refused the request), 2 for a usage error.
 */
import { request } from 'undici';
import { ADMIN_DEFAULT_HOST, ADMIN_DEFAULT_PORT, ADMIN_TOKEN_ENV } from '../config/admin-config.ts';
import type { Invalidation } from '../admin/invalidations.ts';

export const ADMIN_URL_ENV = 'VERGE_ADMIN_URL';
export const DEFAULT_ADMIN_URL = `http://${ADMIN_DEFAULT_HOST}:${ADMIN_DEFAULT_PORT}`;
/** The server itself waits up to admin.invalidationTimeoutMs (10 s by default) for its workers. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface InvalidateOptions {
  readonly paths: readonly string[];
  readonly tags: readonly string[];
  readonly adminUrl: string;
  readonly token: string | undefined;
  readonly json: boolean;
}

interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly invalidation?: Invalidation;
}

export async function invalidateCommand(options: InvalidateOptions): Promise<number> {
  // Appended, not resolved: an admin API behind a proxy may live under a path (https://host/verge-admin).
  const url = new URL(`${options.adminUrl}/v1/invalidations`);
  let status: number;
  let text: string;
  let contentType: string;
  try {
    // undici's request rather than fetch: fetch refuses the ports browsers block (6000, 6665, …),
    // which an admin API may well use.
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }) },
      body: JSON.stringify({ paths: options.paths, tags: options.tags }),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    status = res.statusCode;
    contentType = String(res.headers['content-type'] ?? '');
    text = await res.body.text();
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      fail(`the admin API at ${options.adminUrl} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s (the invalidation may still complete: GET ${options.adminUrl}/v1/invalidations lists it)`);
    } else {
      fail(`cannot reach the admin API at ${options.adminUrl} (${code ?? message}). Is \`verge serve\` running with an \`admin\` section in its config? Give its address with --admin-url or ${ADMIN_URL_ENV}.`);
    }
    return 1;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    fail(`unexpected answer from ${url.href}: ${status} ${contentType} (is --admin-url the admin API's address, not the viewers' port?)`);
    return 1;
  }
  if (options.json) process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (status < 200 || status > 299) {
    const error = body as ErrorBody;
    if (!options.json && error.invalidation !== undefined) process.stdout.write(summary(error.invalidation));
    const hint = status === 401 ? ` (give the token with --token or ${ADMIN_TOKEN_ENV})` : '';
    fail(`${status} ${error.code}: ${error.message}${hint}`);
    return 1;
  }
  const invalidation = body as Invalidation;
  if (!options.json) process.stdout.write(summary(invalidation));
  if (invalidation.status !== 'Completed') {
    const pending = invalidation.workers.results.filter((r) => r.outcome === 'pending').map((r) => r.pid);
    fail(`not every worker answered in time (still waiting for pid ${pending.join(', ')}); follow it with GET ${options.adminUrl}/v1/invalidations/${invalidation.id}`);
    return 1;
  }
  return 0;
}

/** The human summary: id, status, purged count, workers answered, paths and tags. */
function summary(inv: Invalidation): string {
  const counted = inv.store === 'disk' ? 'shared disk cache: each entry counted once' : 'memory caches: counted per worker';
  const lines = [`Invalidation ${inv.id} ${inv.status}: ${inv.purged} ${inv.purged === 1 ? 'entry' : 'entries'} purged (${counted}); ${inv.workers.answered} of ${inv.workers.total} worker(s) answered`];
  if (inv.paths.length > 0) lines.push(`  paths: ${inv.paths.join(' ')}`);
  if (inv.tags.length > 0) lines.push(`  tags:  ${inv.tags.join(' ')}`);
  for (const r of inv.workers.results) {
    if (r.outcome === 'failed') lines.push(`  worker ${r.pid} failed: ${r.code}: ${r.message}`);
    else if (r.outcome === 'exited') lines.push(`  worker ${r.pid} exited before it answered${inv.store === 'memory' ? ' (its memory cache went with it)' : ''}`);
    else if (r.outcome === 'pending') lines.push(`  worker ${r.pid} has not answered yet`);
  }
  return `${lines.join('\n')}\n`;
}

function fail(message: string): void {
  process.stderr.write(`verge invalidate: ${message}\n`);
}
