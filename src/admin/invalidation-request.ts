/**
 * The body of `POST /v1/invalidations`, checked as CloudFront checks an InvalidationBatch
 * (Developer Guide, "Invalidating files"): paths start with `/`, `*` only as the last character, at
 * most 4,000 characters a path and 3,000 paths a request. Tags are what `Cache-Tag` / `Surrogate-Key`
 * carry (src/cache/cache-tags.ts).
 */
import { z } from 'zod';

export const MAX_INVALIDATION_PATHS = 3_000;
export const MAX_INVALIDATION_TAGS = 3_000;
const MAX_PATH_CHARS = 4_000;
// Cloudflare's and Fastly's limit for one tag or surrogate key.
const MAX_TAG_CHARS = 1_024;

/** Why an invalidation path is refused, or undefined when it is a valid one. */
export function invalidationPathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with "/"';
  if (path.length > MAX_PATH_CHARS) return `must be at most ${MAX_PATH_CHARS} characters`;
  const star = path.indexOf('*');
  if (star !== -1 && star !== path.length - 1) return 'may contain "*" only as its last character (CloudFront\'s wildcard: /images/*)';
  // The stored path is the request's URI path as the viewer sent it, percent-encoded (CloudFront:
  // "URL-encode those characters"), so anything else could never match.
  if (!/^[\x21-\x7e]+$/.test(path)) return 'must contain only visible ASCII characters: percent-encode the others as the request line carries them (a space is %20)';
  // Entries are stored by path, without the query string: `/a.jpg` already purges every query
  // string variant of /a.jpg, and a path with a `?` could never match anything.
  if (path.includes('?') || path.includes('#')) return 'must not contain "?" or "#": a path purges every query-string variant of it (give /a.jpg, or /a.jpg*)';
  return undefined;
}

/** Why a tag is refused, or undefined. Visible ASCII without commas: what `Cache-Tag` can carry as one tag. */
export function cacheTagProblem(tag: string): string | undefined {
  if (tag.length === 0 || tag.length > MAX_TAG_CHARS) return `must be 1-${MAX_TAG_CHARS} characters`;
  if (!/^[\x21-\x7e]+$/.test(tag) || tag.includes(',')) return 'must contain only visible ASCII characters, no spaces or commas (Cache-Tag separates tags with commas, Surrogate-Key with spaces)';
  return undefined;
}

const pathSchema = z.string({ error: 'must be a string' }).superRefine((path, ctx) => {
  const problem = invalidationPathProblem(path);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const tagSchema = z.string({ error: 'must be a string' }).superRefine((tag, ctx) => {
  const problem = cacheTagProblem(tag);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

export const invalidationRequestSchema = z
  .strictObject(
    {
      paths: z.array(pathSchema, { error: 'must be an array of strings' }).max(MAX_INVALIDATION_PATHS, `must hold at most ${MAX_INVALIDATION_PATHS} paths (CloudFront's limit per invalidation)`).default([]),
      tags: z.array(tagSchema, { error: 'must be an array of strings' }).max(MAX_INVALIDATION_TAGS, `must hold at most ${MAX_INVALIDATION_TAGS} tags`).default([]),
    },
    { error: (iss) => (iss.code === 'unrecognized_keys' ? 'unknown field; allowed: paths, tags' : 'must be a JSON object { "paths": [...], "tags": [...] }') },
  )
  .superRefine((body, ctx) => {
    if (body.paths.length === 0 && body.tags.length === 0) ctx.addIssue({ code: 'custom', message: 'give at least one path or tag' });
  })
  // Each once, in the order given: a repeated path purges nothing more.
  .transform((body) => ({ paths: [...new Set(body.paths)], tags: [...new Set(body.tags)] }));

export type InvalidationRequestBody = z.output<typeof invalidationRequestSchema>;
