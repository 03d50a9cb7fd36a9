/**
 * A distribution revision's configuration: the edge node config file's distribution part (origins,
 * behaviors with function associations, cache, errors, runtime), validated with that file's zod
 * schemas and cross-field rules (src/config/schema.ts), so a revision is refused for what a config
 * file would be. What belongs to one node (listen, location, workers, admin) or is declared in the
 * control plane instead (functions, keyValueStores) is refused with the reason. Associations name
 * `fn:3` / `fn:alias` rather than a function of the file; revision-resolver.ts checks them.
 */
import { z } from 'zod';
import { formatIssuePath } from '../config/load-config.ts';
import { behaviorSchema, configSchema, crossFieldIssues, originSchema } from '../config/schema.ts';
import type { ConfigIssue } from '../errors/verge-error.ts';

export const DISTRIBUTION_ID = /^[A-Z0-9]{1,64}$/;

const REFUSED: Readonly<Record<string, string>> = {
  listen: 'belongs to each edge node\'s own config file, not to a distribution',
  location: 'is given to each edge node (--location NAME), not to a distribution',
  workers: 'belongs to each edge node\'s own config file, not to a distribution',
  workerStallMs: 'belongs to each edge node\'s own config file, not to a distribution',
  admin: 'belongs to each edge node\'s own config file, not to a distribution',
  controlPlane: 'belongs to the control plane\'s config file, not to a distribution',
  functions: 'functions are created in the control plane (POST /v1/functions); associations name a version or alias (fn:3, fn:live)',
  keyValueStores: 'key value stores are not managed by the control plane yet',
};

const ALLOWED = ['distribution', 'origins', 'behaviors', 'errors', 'cache', 'runtime'];

const revisionSchema = z.object({
  distribution: configSchema.shape.distribution,
  origins: z.array(originSchema).min(1, 'at least one origin is required'),
  behaviors: z.array(behaviorSchema).min(1, 'at least one behavior is required'),
  errors: configSchema.shape.errors,
  cache: configSchema.shape.cache,
  runtime: configSchema.shape.runtime,
});

type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of a revision's configuration (empty when it is valid), each by option path. */
export function revisionConfigIssues(distributionId: string, raw: unknown): ConfigIssue[] {
  if (!isRaw(raw)) return [{ path: '', message: 'the configuration must be an object of options (origins, behaviors, …)' }];
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(raw)) {
    if (REFUSED[key] !== undefined) issues.push({ path: key, message: REFUSED[key] });
    else if (!ALLOWED.includes(key)) issues.push({ path: key, message: `unknown option; allowed here: ${ALLOWED.join(', ')}` });
  }
  const parsed = revisionSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) issues.push({ path: formatIssuePath([...issue.path, key]), message: issue.message });
      else issues.push({ path: formatIssuePath(issue.path), message: issue.input === undefined && issue.code === 'invalid_type' ? `required option is missing (expected ${issue.expected})` : issue.message });
    }
  }
  const distribution = raw.distribution;
  if (isRaw(distribution) && distribution.id !== undefined && distribution.id !== distributionId) {
    issues.push({ path: 'distribution.id', message: `is ${JSON.stringify(distribution.id)}, but this is distribution ${distributionId} (leave it out: the URL names it)` });
  }
  // The file's rules between options, without its function references (checked by the resolver).
  const withoutAssociations = { ...raw, behaviors: Array.isArray(raw.behaviors) ? raw.behaviors.map((b) => (isRaw(b) ? { ...b, functions: undefined } : b)) : raw.behaviors };
  issues.push(...crossFieldIssues(withoutAssociations));
  return issues;
}

/** The configuration an edge node gets (revision-document.ts `config`): the revision's, without the behaviors' associations, naming its distribution. */
export function edgeConfigOf(distributionId: string, raw: Raw): Record<string, unknown> {
  const behaviors = (raw.behaviors as unknown[]).map((b) => {
    const { functions: _associations, ...rest } = b as Raw;
    return rest;
  });
  return { ...raw, distribution: { ...(isRaw(raw.distribution) ? raw.distribution : {}), id: distributionId }, behaviors };
}
