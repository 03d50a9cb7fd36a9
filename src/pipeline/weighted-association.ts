/**
 * Lambda alias weighted routing (`additionalVersionWeights`), sticky per viewer (issue 5 §1): an
 * association with `additional: { name, weight }` sends `weight` of viewers to the additional version
 * and the rest to the primary one.
 *
 * Which viewer: the value of the `verge-sticky` cookie when the request has one, else the client's IP
 * address (the socket's, not X-Forwarded-For, which any viewer can write). The id is hashed (SHA-256,
 * first 32 bits) to a bucket in [0, 1), and the viewer gets the additional version when its bucket is
 * below the weight. So the same viewer always gets the same version at a given weight, and raising the
 * weight (a linear rollout) only moves viewers from the primary to the additional version, never back.
 * Every association of one request uses the same bucket, so a viewer sees one side of a rollout in all
 * four events. Verge never sets the cookie itself (a Set-Cookie would follow cached responses to other
 * viewers); an application, or a viewer-response function, that wants stickiness per browser rather
 * than per address sets `verge-sticky` to an id of its own.
 */
import { hash } from 'node:crypto';
import type { EventType, FunctionAssociation } from '../config/types.ts';

export const STICKY_COOKIE = 'verge-sticky';

export type Associations = Readonly<Partial<Record<EventType, FunctionAssociation>>>;

/** True when any association of the behavior routes by weight: only then is a viewer's bucket computed. */
export function hasWeights(fns: Associations): boolean {
  for (const key in fns) if (fns[key as EventType]!.additional !== undefined) return true;
  return false;
}

/** The viewer's id for stickiness: the `verge-sticky` cookie's value, else the client IP. */
export function viewerId(cookieHeader: string | undefined, clientIp: string): string {
  if (cookieHeader !== undefined) {
    const value = cookieValue(cookieHeader, STICKY_COOKIE);
    if (value !== undefined && value !== '') return `c:${value}`;
  }
  return `ip:${clientIp}`;
}

/** The viewer's bucket in [0, 1): the first 32 bits of SHA-256 of its id. */
export function viewerBucket(id: string): number {
  return Number.parseInt(hash('sha256', id, 'hex').slice(0, 8), 16) / 0x1_0000_0000;
}

/**
 * The associations this viewer runs: each weighted one resolved to its primary or its additional
 * version (an association without `additional` comes back unchanged).
 */
export function pickVersions(fns: Associations, bucket: number): Associations {
  const out: Partial<Record<EventType, FunctionAssociation>> = {};
  for (const key in fns) {
    const assoc = fns[key as EventType]!;
    const extra = assoc.additional;
    out[key as EventType] = extra !== undefined && bucket < extra.weight ? { name: extra.name, includeBody: assoc.includeBody } : assoc;
  }
  return out;
}

/** One cookie's value from a Cookie header (RFC 6265 §5.4: `name=value` pairs separated by `; `). */
function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(/;\s*|\n/)) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}
