/**
 * CloudFront Functions quotas that Verge reproduces, in one place for the config boundary, the
 * runtime and the key value stores. Source: CloudFront Developer Guide, "Quotas on CloudFront
 * Functions", "Quotas on key value stores" and "Restrictions on CloudFront Functions".
 */

/** "Maximum function size: 10 KB". */
export const CFF_MAX_CODE_BYTES = 10 * 1024;

/**
 * CloudFront gives a function 2 MB of memory. isolated-vm will not cap a heap below 8 MB, so that is
 * Verge's cap: a function that runs on CloudFront fits; a few that would fail there with more than
 * 2 MB still run here.
 */
export const CFF_MEMORY_MB = 8;

/**
 * CloudFront bounds a function by "compute utilization" (about 1 ms of CPU) and throttles it past that.
 * Verge bounds the wall clock of the function's own run instead (a cold start does not count): 50 ms by
 * default. A CloudFront Function runs in well under a millisecond here too, so the cap only matters for
 * a runaway function, which it ends within 50 ms; a tighter cap (20 ms was tried) also ended healthy
 * calls whenever the node's thread was descheduled on a busy 2-core machine. `timeoutMs` changes it.
 */
export const CFF_DEFAULT_TIMEOUT_MS = 50;
export const CFF_MAX_TIMEOUT_MS = 1_000;

/** Key value stores: "Key size 512 bytes", "Value size 1 KB", "Total size of a key value store 5 MB". */
export const KVS_MAX_KEY_BYTES = 512;
export const KVS_MAX_VALUE_BYTES = 1024;
export const KVS_MAX_STORE_BYTES = 5 * 1024 * 1024;

/** The events a CloudFront Function can be associated with. */
export const CFF_EVENT_TYPES = Object.freeze(['viewer-request', 'viewer-response'] as const);
