/**
 * Lambda@Edge quotas that Verge reproduces, in one place so the config boundary, the runtime and
 * the pipeline agree on them. Source: CloudFront Developer Guide, "Quotas on Lambda@Edge" and
 * "Restrictions on the request body with the include body option".
 */
import type { EventType } from './types.ts';
import type { RequestEventType } from '../pipeline/hooks.ts';

export type { RequestEventType };

/** Viewer events run on every request, so CloudFront caps them far lower than origin events. */
export const VIEWER_EVENT_MAX_MEMORY_MB = 128;
export const VIEWER_EVENT_MAX_TIMEOUT_MS = 5_000;
/** Origin events get the regular Lambda ranges (128 MB to 10,240 MB) and 30 s. */
export const ORIGIN_EVENT_MAX_MEMORY_MB = 10_240;
export const ORIGIN_EVENT_MAX_TIMEOUT_MS = 30_000;

/** Lower bounds of the function model (Lambda's smallest memory size; any positive timeout). */
export const FUNCTION_MIN_MEMORY_MB = 128;
export const FUNCTION_MIN_TIMEOUT_MS = 1;
export const FUNCTION_DEFAULT_MEMORY_MB = 128;
export const FUNCTION_DEFAULT_TIMEOUT_MS = 5_000;

/**
 * "Maximum compressed size of a Lambda function and any included libraries" (Quotas on Lambda@Edge):
 * 1 MB for viewer events, 50 MB for origin events. Measured as in src/runtime/bundle/package-size.ts.
 */
export const VIEWER_EVENT_MAX_PACKAGE_BYTES = 1024 * 1024;
export const ORIGIN_EVENT_MAX_PACKAGE_BYTES = 50 * 1024 * 1024;

export interface FunctionLimits {
  readonly maxMemoryMb: number;
  readonly maxTimeoutMs: number;
  readonly maxPackageBytes: number;
}

/** The memory and timeout a function may have to be associated with each event type. */
export const FUNCTION_LIMITS_BY_EVENT: Readonly<Record<EventType, FunctionLimits>> = Object.freeze({
  'viewer-request': Object.freeze({ maxMemoryMb: VIEWER_EVENT_MAX_MEMORY_MB, maxTimeoutMs: VIEWER_EVENT_MAX_TIMEOUT_MS, maxPackageBytes: VIEWER_EVENT_MAX_PACKAGE_BYTES }),
  'origin-request': Object.freeze({ maxMemoryMb: ORIGIN_EVENT_MAX_MEMORY_MB, maxTimeoutMs: ORIGIN_EVENT_MAX_TIMEOUT_MS, maxPackageBytes: ORIGIN_EVENT_MAX_PACKAGE_BYTES }),
  'origin-response': Object.freeze({ maxMemoryMb: ORIGIN_EVENT_MAX_MEMORY_MB, maxTimeoutMs: ORIGIN_EVENT_MAX_TIMEOUT_MS, maxPackageBytes: ORIGIN_EVENT_MAX_PACKAGE_BYTES }),
  'viewer-response': Object.freeze({ maxMemoryMb: VIEWER_EVENT_MAX_MEMORY_MB, maxTimeoutMs: VIEWER_EVENT_MAX_TIMEOUT_MS, maxPackageBytes: VIEWER_EVENT_MAX_PACKAGE_BYTES }),
});

/**
 * With includeBody, CloudFront passes at most this many bytes of the request body (before base64)
 * and sets `body.inputTruncated: true` when it cut the body short.
 */
export const INCLUDE_BODY_MAX_BYTES: Readonly<Record<RequestEventType, number>> = Object.freeze({
  'viewer-request': 40 * 1024,
  'origin-request': 1024 * 1024,
});

/**
 * Largest response (headers and body) a function may generate or return. CloudFront's quota table
 * gives one figure for viewer events and one for origin events; request events are where functions
 * generate responses, response events where they replace the body.
 */
export const GENERATED_RESPONSE_MAX_BYTES: Readonly<Record<EventType, number>> = Object.freeze({
  'viewer-request': 40 * 1024,
  'origin-request': 1024 * 1024,
  'origin-response': 1024 * 1024,
  'viewer-response': 40 * 1024,
});
