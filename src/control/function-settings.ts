/**
 * The settings of a function's $LATEST (Lambda's FunctionConfiguration) as the admin API takes
 * them, checked with the config file's rules (src/config/schema.ts `functionSchema`): the same
 * name, handler, runtime, memory, timeout and environment rules, and CloudFront Functions' own
 * (fixed memory, at most 1000 ms, no environment, no handler). Per-event limits (viewer events:
 * 128 MB, 5 s, 1 MB package) are checked when a distribution revision associates a version.
 */
import { z } from 'zod';
import { CFF_DEFAULT_TIMEOUT_MS, CFF_MAX_TIMEOUT_MS, CFF_MEMORY_MB } from '../config/cloudfront-functions-limits.ts';
import { FUNCTION_DEFAULT_MEMORY_MB, FUNCTION_DEFAULT_TIMEOUT_MS, FUNCTION_MIN_MEMORY_MB, FUNCTION_MIN_TIMEOUT_MS, ORIGIN_EVENT_MAX_MEMORY_MB, ORIGIN_EVENT_MAX_TIMEOUT_MS } from '../config/lambda-edge-limits.ts';
import { FUNCTION_RUNTIMES, functionNameSchema } from '../config/schema.ts';
import type { ConfigIssue } from '../errors/verge-error.ts';
import { DEFAULT_HANDLER, handlerProblem } from '../runtime/bundle/handler-name.ts';
import type { FunctionSettings } from './control-store.ts';

export { functionNameSchema };

/** Lambda's Description: at most 256 characters. */
export const descriptionSchema = z.string().max(256, 'must be at most 256 characters (Lambda\'s limit)');

const handlerSchema = z.string().superRefine((h, ctx) => {
  const problem = handlerProblem(h);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable name must match [A-Za-z_][A-Za-z0-9_]*');

const settingsShape = {
  runtime: z.enum(FUNCTION_RUNTIMES),
  handler: handlerSchema,
  memoryMb: z.int().min(FUNCTION_MIN_MEMORY_MB).max(ORIGIN_EVENT_MAX_MEMORY_MB),
  timeoutMs: z.int().min(FUNCTION_MIN_TIMEOUT_MS).max(ORIGIN_EVENT_MAX_TIMEOUT_MS),
  environment: z.record(envName, z.string()),
  description: descriptionSchema,
};

const unknownKey = (allowed: readonly string[]) => ({ error: (iss: { code?: string }) => (iss.code === 'unrecognized_keys' ? `unknown field; allowed: ${allowed.join(', ')}` : undefined) });

/** `PATCH /v1/functions/{name}` (update-config): any subset of the settings. */
export const settingsPatchSchema = z.strictObject(
  {
    runtime: settingsShape.runtime.optional(),
    handler: settingsShape.handler.optional(),
    // CloudFront Functions have a fixed memory: checked after the patch is applied.
    memoryMb: z.int().min(1).max(ORIGIN_EVENT_MAX_MEMORY_MB).optional(),
    timeoutMs: settingsShape.timeoutMs.optional(),
    environment: settingsShape.environment.optional(),
    description: settingsShape.description.optional(),
    revisionId: z.string().optional(),
  },
  unknownKey(['runtime', 'handler', 'memoryMb', 'timeoutMs', 'environment', 'description', 'revisionId']),
);
export type SettingsPatch = z.output<typeof settingsPatchSchema>;

/** Settings given at creation; the rest take the config file's defaults, which depend on the runtime. */
export type SettingsInput = Omit<SettingsPatch, 'revisionId'>;

/** The settings a new function gets: the input with the config file's defaults (functionSchema's transform). */
export function settingsWithDefaults(input: SettingsInput): FunctionSettings {
  const runtime = input.runtime ?? 'nodejs-edge';
  const cff = runtime === 'cloudfront-js-2.0';
  return {
    runtime,
    handler: input.handler ?? DEFAULT_HANDLER,
    memoryMb: input.memoryMb ?? (cff ? CFF_MEMORY_MB : FUNCTION_DEFAULT_MEMORY_MB),
    timeoutMs: input.timeoutMs ?? (cff ? CFF_DEFAULT_TIMEOUT_MS : FUNCTION_DEFAULT_TIMEOUT_MS),
    environment: input.environment ?? {},
    description: input.description ?? '',
  };
}

/** The rules between settings (cloudfront-functions-rules.ts for the config file), on the settings a write would leave. */
export function settingsIssues(s: FunctionSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (s.runtime === 'cloudfront-js-2.0') {
    if (s.memoryMb !== CFF_MEMORY_MB) issues.push({ path: 'memoryMb', message: `CloudFront Functions have a fixed memory (${CFF_MEMORY_MB} MB in Verge); leave memoryMb out` });
    if (s.timeoutMs > CFF_MAX_TIMEOUT_MS) issues.push({ path: 'timeoutMs', message: `${s.timeoutMs} exceeds the CloudFront Functions limit of ${CFF_MAX_TIMEOUT_MS} ms` });
    if (Object.keys(s.environment).length > 0) issues.push({ path: 'environment', message: 'CloudFront Functions have no environment variables' });
    if (s.handler !== DEFAULT_HANDLER) issues.push({ path: 'handler', message: `a CloudFront Function is always the top-level function named handler in its script; leave handler out (${DEFAULT_HANDLER})` });
  } else if (s.memoryMb < FUNCTION_MIN_MEMORY_MB) {
    issues.push({ path: 'memoryMb', message: `must be at least ${FUNCTION_MIN_MEMORY_MB} (Lambda's smallest memory size)` });
  }
  return issues;
}
