/**
 * What the control plane sends an edge node: one distribution revision, resolved. Function
 * associations name concrete versions (an alias is resolved to its version and its weighted second
 * version), and every version's code is named by sha256, fetched once from the control plane
 * (`GET /v1/edge/code/{sha256}`) and kept on the node's disk with the revision, so a node restarted
 * without its control plane serves the last revision it applied (issue 5 §2).
 *
 * The producer is the control plane (src/control/, src/admin/); the consumer is the edge node's
 * revision applier. Both validate against this schema: it is the wire contract between them.
 */
import { z } from 'zod';

/** `name:3`, `name:$LATEST`: one function version, as Lambda qualifies them. */
export const versionKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}:(\$LATEST|[1-9][0-9]{0,9})$/, 'must be NAME:VERSION or NAME:$LATEST');

export const codeRefSchema = z.strictObject({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  sizeBytes: z.int().min(0),
  /** `file`: one .js/.mjs/.cjs/.ts file named fileName; `zip`: a deployment package (.zip). */
  format: z.enum(['file', 'zip']),
  fileName: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/),
});

export const resolvedFunctionSchema = z.strictObject({
  key: versionKeySchema,
  name: z.string(),
  version: z.union([z.literal('$LATEST'), z.int().min(1)]),
  runtime: z.enum(['nodejs-edge', 'cloudfront-js-2.0']),
  handler: z.string(),
  memoryMb: z.int(),
  timeoutMs: z.int(),
  environment: z.record(z.string(), z.string()),
  code: codeRefSchema,
});

/** One association as the edge runs it: the version most viewers get, and at most one more by weight. */
export const resolvedAssociationSchema = z.strictObject({
  /** What the distribution named: `fn:3`, `fn:live` (an alias) — for logs and health reports. */
  qualified: z.string(),
  primary: versionKeySchema,
  /** Lambda's additionalVersionWeights: this version gets `weight` (0..1) of viewers, sticky per viewer. */
  additional: z.strictObject({ key: versionKeySchema, weight: z.number().min(0).max(1) }).optional(),
  includeBody: z.boolean().default(false),
});

export const revisionDocumentSchema = z.strictObject({
  distributionId: z.string(),
  revision: z.int().min(1),
  /**
   * Increases with every change of what this location should serve: a new revision, or a rollout
   * step that changes traffic weights within the same revision. Edge nodes poll by it.
   */
  generation: z.int().min(1),
  createdAt: z.string(),
  /**
   * The edge node configuration of the config file (origins, behaviors, cache, errors, runtime, …)
   * without `listen`, `functions` and the behaviors' `functions`: those come from below.
   */
  config: z.record(z.string(), z.unknown()),
  functions: z.array(resolvedFunctionSchema),
  /** behaviors[i] of `config`, by index: event type → association. */
  associations: z.array(z.partialRecord(z.enum(['viewer-request', 'origin-request', 'origin-response', 'viewer-response']), resolvedAssociationSchema)),
});

export type CodeRef = z.infer<typeof codeRefSchema>;
export type ResolvedFunction = z.infer<typeof resolvedFunctionSchema>;
export type ResolvedAssociation = z.infer<typeof resolvedAssociationSchema>;
export type RevisionDocument = z.infer<typeof revisionDocumentSchema>;

/**
 * The edge API the control plane serves to edge nodes (bearer token like the admin API):
 * - `POST /v1/edge/locations/{location}/register` `{ url?, nodeVersion }` → 200 `{ location }`
 * - `GET  /v1/edge/locations/{location}/revision?after=G&waitMs=M` → 200 RevisionDocument when the
 *   location's desired generation is newer than G (long-poll up to waitMs), 204 when not
 * - `GET  /v1/edge/code/{sha256}` → the code bytes (application/octet-stream)
 * - `POST /v1/edge/locations/{location}/heartbeat` EdgeHeartbeat → 200 `{ desiredGeneration, invalidations: [{ id, paths, tags }] }`
 *   (the invalidations the location has still to purge)
 */
export const edgeHeartbeatSchema = z.strictObject({
  distributionId: z.string().optional(),
  /** The revision and generation this node serves now (0: none yet). */
  servingRevision: z.int().min(0),
  servingGeneration: z.int().min(0),
  /** Control-plane invalidations purged since the previous heartbeat (location-invalidations.ts). */
  invalidationsDone: z.array(z.strictObject({ id: z.string(), purged: z.int().min(0) })).max(1000).default([]),
  /** Per function version since the previous heartbeat. */
  health: z.array(
    z.strictObject({
      key: versionKeySchema,
      requests: z.int().min(0),
      errors: z.int().min(0),
      p99Ms: z.number().min(0),
    }),
  ),
});
export type EdgeHeartbeat = z.input<typeof edgeHeartbeatSchema>;
