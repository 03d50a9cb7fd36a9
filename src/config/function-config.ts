import type { FunctionConfig } from './types.ts';
import { FUNCTION_DEFAULT_MEMORY_MB, FUNCTION_DEFAULT_TIMEOUT_MS } from './lambda-edge-limits.ts';

/**
 * A FunctionConfig with the config file's defaults filled in, for code that makes functions without
 * a config file (benchmarks, tests, `verge invoke`). The config file itself goes through the zod
 * schema, which applies the same defaults.
 */
export function functionConfig(fields: Pick<FunctionConfig, 'name' | 'codePath'> & Partial<FunctionConfig>): FunctionConfig {
  return {
    handler: 'index.handler',
    runtime: 'nodejs-edge',
    memoryMb: FUNCTION_DEFAULT_MEMORY_MB,
    timeoutMs: FUNCTION_DEFAULT_TIMEOUT_MS,
    environment: {},
    maxSubrequests: 50,
    ...fields,
  };
}
