/**
 * Configuration rules for CloudFront Functions (`runtime: cloudfront-js-2.0`) and key value stores,
 * checked on the raw input like the other cross-field rules, so every problem is reported in one run
 * with the path of the option at fault.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { ConfigIssue } from '../errors/verge-error.ts';
import { CFF_EVENT_TYPES, CFF_MAX_CODE_BYTES, CFF_MAX_TIMEOUT_MS } from './cloudfront-functions-limits.ts';

export const CFF_RUNTIME = 'cloudfront-js-2.0';

/** A key value store id: what `functions[].keyValueStore` and `cf.kvs(id)` name. */
export const keyValueStoreIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be 1-128 characters from A-Z a-z 0-9 _ -');

export const keyValueStoreSchema = z.strictObject({
  id: keyValueStoreIdSchema,
  /** A JSON file in CloudFront's import format: {"data": [{"key": "…", "value": "…"}]}. */
  file: z.string().min(1),
});

type Raw = Record<string, unknown>;
const isRaw = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
const VIEWER_EVENTS: readonly string[] = CFF_EVENT_TYPES;
const ALL_EVENTS = ['viewer-request', 'origin-request', 'origin-response', 'viewer-response'] as const;

/**
 * Function options that mean nothing for a CloudFront Function, with why (CloudFront Developer Guide,
 * "Restrictions on edge functions" and "JavaScript runtime 2.0 features"). reservedConcurrency stays:
 * Verge enforces it for either runtime.
 */
const CFF_UNSUPPORTED_OPTIONS: readonly (readonly [string, string])[] = [
  ['handler', 'a CloudFront Function is always the top-level function named handler in its script'],
  ['environment', 'CloudFront Functions have no environment variables (a key value store holds such data)'],
  ['maxSubrequests', 'CloudFront Functions have no network access (no fetch)'],
];

/**
 * A CloudFront Function is one script run as written: cff-loader.ts neither bundles, transpiles nor
 * extracts it, so the code must be a single JavaScript file (the extension only tells the user's tools
 * it is JavaScript; the loader reads each the same way).
 */
const CFF_CODE_EXTENSIONS: readonly string[] = ['.js', '.mjs', '.cjs'];

/**
 * CloudFront's rules for functions of the CloudFront Functions runtime: viewer events only, no
 * includeBody, a fixed memory, a store that exists; and per behavior, no CloudFront Function and
 * Lambda@Edge function together in viewer events ("Restrictions on all edge functions": "You can't
 * combine CloudFront Functions and Lambda@Edge in viewer events").
 */
export function cloudFrontFunctionIssues(raw: Raw, functions: readonly unknown[], behaviors: readonly unknown[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const storeIds = new Map<string, number>();
  list(raw.keyValueStores).forEach((store, i) => {
    const id = isRaw(store) ? store.id : undefined;
    if (typeof id !== 'string') return;
    const first = storeIds.get(id);
    if (first === undefined) storeIds.set(id, i);
    else issues.push({ path: `keyValueStores[${i}].id`, message: `duplicate key value store id ${JSON.stringify(id)} (first used by keyValueStores[${first}])` });
  });
  const runtimeByName = new Map<string, string>();
  functions.forEach((fn, i) => {
    if (!isRaw(fn)) return;
    const runtime = typeof fn.runtime === 'string' ? fn.runtime : 'nodejs-edge';
    if (typeof fn.name === 'string' && !runtimeByName.has(fn.name)) runtimeByName.set(fn.name, runtime);
    const at = `functions[${i}]`;
    if (runtime === CFF_RUNTIME) {
      if (fn.memoryMb !== undefined) {
        issues.push({ path: `${at}.memoryMb`, message: 'CloudFront Functions have a fixed memory (2 MB on CloudFront, 8 MB in Verge); remove memoryMb' });
      }
      if (typeof fn.timeoutMs === 'number' && fn.timeoutMs > CFF_MAX_TIMEOUT_MS) {
        issues.push({ path: `${at}.timeoutMs`, message: `${fn.timeoutMs} exceeds the CloudFront Functions limit of ${CFF_MAX_TIMEOUT_MS} ms in Verge (CloudFront allows about 1 ms of compute)` });
      }
      // Options a CloudFront Function has no use for are refused rather than silently ignored.
      for (const [option, why] of CFF_UNSUPPORTED_OPTIONS) {
        if (fn[option] !== undefined) issues.push({ path: `${at}.${option}`, message: `${why}; remove ${option}` });
      }
      if (typeof fn.keyValueStore === 'string' && !storeIds.has(fn.keyValueStore)) {
        const known = storeIds.size === 0 ? 'none are defined in keyValueStores' : `defined: ${[...storeIds.keys()].join(', ')}`;
        issues.push({ path: `${at}.keyValueStore`, message: `no key value store has id ${JSON.stringify(fn.keyValueStore)} (${known})` });
      }
    } else if (fn.keyValueStore !== undefined) {
      issues.push({ path: `${at}.keyValueStore`, message: `only CloudFront Functions (runtime: ${CFF_RUNTIME}) can read a key value store` });
    }
  });

  behaviors.forEach((behavior, b) => {
    if (!isRaw(behavior) || !isRaw(behavior.functions)) return;
    const associations = behavior.functions;
    let viewerCff: string | undefined;
    const viewerLambda: string[] = [];
    for (const eventType of ALL_EVENTS) {
      const association = associations[eventType];
      if (!isRaw(association) || typeof association.name !== 'string') continue;
      const runtime = runtimeByName.get(association.name);
      const at = `behaviors[${b}].functions.${eventType}`;
      if (runtime === CFF_RUNTIME) {
        if (!VIEWER_EVENTS.includes(eventType)) {
          issues.push({
            path: `${at}.name`,
            message: `${JSON.stringify(association.name)} is a CloudFront Function (runtime: ${CFF_RUNTIME}), which CloudFront runs only at viewer-request and viewer-response; use a Lambda@Edge function (runtime: nodejs-edge) at ${eventType}`,
          });
        } else {
          viewerCff ??= at;
        }
        if (association.includeBody === true) {
          issues.push({ path: `${at}.includeBody`, message: 'CloudFront Functions cannot read the request body; remove includeBody' });
        }
      } else if (runtime !== undefined && VIEWER_EVENTS.includes(eventType)) {
        viewerLambda.push(at);
      }
    }
    if (viewerCff !== undefined) {
      for (const at of viewerLambda) {
        issues.push({
          path: `${at}.name`,
          message: `CloudFront does not combine CloudFront Functions and Lambda@Edge in viewer events, and ${viewerCff} is a CloudFront Function; use a CloudFront Function here too, or move the Lambda@Edge function to origin-request or origin-response`,
        });
      }
    }
  });
  return issues;
}

/** File checks: a CloudFront Function's code is one JavaScript file of at most 10 KB; a store's file exists. */
export function cloudFrontFunctionFileIssues(raw: unknown, baseDir: string): ConfigIssue[] {
  if (!isRaw(raw)) return [];
  const issues: ConfigIssue[] = [];
  list(raw.functions).forEach((fn, i) => {
    if (!isRaw(fn) || fn.runtime !== CFF_RUNTIME || typeof fn.code !== 'string' || fn.code === '') return;
    const codePath = path.resolve(baseDir, fn.code);
    const at = `functions[${i}].code`;
    const stats = statSync(codePath, { throwIfNoEntry: false });
    const oneScript = `a CloudFront Function is one ${CFF_CODE_EXTENSIONS.join(', ')} file, run as written (not bundled, transpiled or extracted)`;
    if (stats === undefined) issues.push({ path: at, message: `file not found: ${codePath}` });
    else if (stats.isDirectory()) issues.push({ path: at, message: `${codePath} is a directory; ${oneScript}` });
    else if (!stats.isFile()) issues.push({ path: at, message: `not a file: ${codePath}` });
    else if (!CFF_CODE_EXTENSIONS.includes(path.extname(codePath).toLowerCase())) issues.push({ path: at, message: `${codePath}: ${oneScript}` });
    else if (stats.size > CFF_MAX_CODE_BYTES) {
      issues.push({ path: at, message: `${stats.size} bytes exceeds the CloudFront Functions limit of ${CFF_MAX_CODE_BYTES} bytes (10 KB)` });
    }
  });
  list(raw.keyValueStores).forEach((store, i) => {
    if (!isRaw(store) || typeof store.file !== 'string' || store.file === '') return;
    const file = path.resolve(baseDir, store.file);
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats === undefined) issues.push({ path: `keyValueStores[${i}].file`, message: `file not found: ${file}` });
    else if (!stats.isFile()) issues.push({ path: `keyValueStores[${i}].file`, message: `not a file: ${file}` });
  });
  return issues;
}
