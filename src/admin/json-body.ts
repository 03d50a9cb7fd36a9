import type { Context } from 'hono';
import type { z } from 'zod';
import { formatIssuePath } from '../config/load-config.ts';
import { AdminBadRequestError } from '../errors/admin-errors.ts';

// application/json and its +json relatives (RFC 6839).
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * The request's JSON body, validated by `schema`. The Content-Type must say JSON: a browser page can
 * send a text/plain POST anywhere without asking, but a JSON one only after a CORS preflight this
 * API never grants.
 * @throws AdminBadRequestError naming every field that breaks a rule (`paths[2]: must start with "/"`)
 */
export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_TYPE.test(mediaType)) throw new AdminBadRequestError(`The body must be JSON, sent with Content-Type: application/json (got ${mediaType === '' ? 'none' : JSON.stringify(mediaType)})`);
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch (err) {
    throw new AdminBadRequestError(`The body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({ path: formatIssuePath(issue.path), message: issue.message }));
  const shown = issues.slice(0, 5).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  throw new AdminBadRequestError(`Invalid request: ${shown.join('; ')}${more}`, { issues });
}
