import type { Context } from 'hono';

/**
 * Who made a change, for revisions' and deployments' `createdBy` (the rollout history's "who"):
 * the `X-Verge-Actor` header the CLI sends (`user@host`), else `admin-api`. It is what the caller
 * says, not an identity: the bearer token is the only credential.
 */
export function requestActor(c: Context): string {
  const actor = c.req.header('x-verge-actor');
  return actor !== undefined && /^[\x21-\x7e]{1,128}$/.test(actor) ? actor : 'admin-api';
}
