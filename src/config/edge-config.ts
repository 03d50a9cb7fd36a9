/**
 * The `edge` section: this node follows a control plane (issue 5 §1, control/edge-agent.ts) as the
 * location named by the file's top-level `location`. Absent: the node serves the file alone. The
 * control plane's own settings are another section's (`controlPlane`); this one is the edge node's.
 * `verge serve --control-plane URL --location NAME --state-dir DIR` give the same without a file.
 */
import { z } from 'zod';

/** The environment variable with the edge API's bearer token (overrides `edge.token`). */
export const EDGE_TOKEN_ENV = 'VERGE_EDGE_TOKEN';

const unknownKey = (allowed: string) => ({ error: (iss: { code?: string }) => (iss.code === 'unrecognized_keys' ? `unknown option; allowed here: ${allowed}` : undefined) });
const intIn = (min: number, max: number) => z.int().min(min).max(max);

export const edgeSchema = z.strictObject(
  {
    controlPlaneUrl: z.string().refine((url) => /^https?:\/\//i.test(url) && URL.canParse(url), 'must be an http:// or https:// URL'),
    // Better given as VERGE_EDGE_TOKEN, which overrides it: a secret need not sit in the file.
    token: z.string().regex(/^[A-Za-z0-9._~+/-]+=*$/, 'must be a Bearer token (RFC 6750 §2.1: A-Z a-z 0-9 - . _ ~ + / and "=" padding)').optional(),
    // Where the last applied revision and its code are kept (resolved against the file's directory).
    stateDir: z.string().min(1).optional(),
    heartbeatIntervalMs: intIn(1_000, 600_000).default(10_000),
    pollWaitMs: intIn(1_000, 300_000).default(20_000),
  },
  unknownKey('controlPlaneUrl, token, stateDir, heartbeatIntervalMs, pollWaitMs'),
);

export interface EdgeConfig {
  readonly controlPlaneUrl: string;
  readonly token: string | undefined;
  /** Absolute; undefined: a temporary directory, so nothing survives a restart. */
  readonly stateDir: string | undefined;
  readonly heartbeatIntervalMs: number;
  readonly pollWaitMs: number;
}
