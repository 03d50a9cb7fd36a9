/**
 * Who may use the admin API. With a token: requests carrying `Authorization: Bearer <token>`
 * (RFC 6750 §2.1), compared in constant time. Without one (allowed only on a loopback address, see
 * config/admin-config.ts): requests addressed to a loopback host name, so that a web page cannot
 * reach the API through DNS rebinding (its requests would carry its own host name).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { isLoopbackHost } from '../config/admin-config.ts';
import { AdminForbiddenError, AdminUnauthorizedError } from '../errors/admin-errors.ts';

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Requires `Authorization: Bearer <token>`; throws AdminUnauthorizedError otherwise. */
export function requireBearerToken(token: string): MiddlewareHandler {
  // Digests of equal length, so timingSafeEqual neither throws nor leaks the token's length.
  const expected = sha256(token);
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header === undefined) throw new AdminUnauthorizedError('This admin API needs a token: send Authorization: Bearer <token> (verge invalidate --token, or VERGE_ADMIN_TOKEN)');
    const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
    if (match === null) throw new AdminUnauthorizedError('The Authorization header must be "Bearer <token>"');
    if (!timingSafeEqual(sha256(match[1]!), expected)) throw new AdminUnauthorizedError('The token is not this admin API\'s token');
    await next();
  };
}

/** Refuses requests whose Host (or Origin, when sent) is not a loopback name: the guard of a tokenless API. */
export function requireLoopbackHost(): MiddlewareHandler {
  return async (c, next) => {
    const host = hostnameOf(c.req.header('host'));
    if (host === undefined || !isLoopbackHost(host)) {
      throw new AdminForbiddenError(`Without admin.token this admin API answers only requests addressed to a loopback host (127.0.0.1, localhost, [::1]), not ${JSON.stringify(c.req.header('host') ?? '')}; set a token to reach it by another name`);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      const originHost = URL.canParse(origin) ? new URL(origin).hostname : undefined;
      if (originHost === undefined || !isLoopbackHost(originHost)) throw new AdminForbiddenError(`Without admin.token this admin API refuses requests from web pages of other hosts (Origin: ${origin})`);
    }
    await next();
  };
}

function hostnameOf(host: string | undefined): string | undefined {
  if (host === undefined || host === '' || !URL.canParse(`http://${host}`)) return undefined;
  return new URL(`http://${host}`).hostname;
}
