import { VergeError } from './verge-error.ts';

/**
 * The function ran but failed: it threw, called back with an error, timed out, ran out of memory, never
 * settled, or could not be loaded. CloudFront answers these with 503 and `x-cache: LambdaExecutionError`.
 */
export class LambdaExecutionError extends VergeError {
  constructor(code: LambdaExecutionCode, message: string, details: Record<string, unknown> = {}) {
    // A crashed isolate may be isolated-vm's or V8's fault rather than the function's.
    super(code, message, code === 'VERGE_ERR_FUNCTION_CRASHED' ? 'system' : 'user', details);
  }
}

export type LambdaExecutionCode =
  | 'VERGE_ERR_FUNCTION_THREW'
  | 'VERGE_ERR_FUNCTION_TIMEOUT'
  | 'VERGE_ERR_FUNCTION_MEMORY'
  | 'VERGE_ERR_FUNCTION_LOAD'
  | 'VERGE_ERR_FUNCTION_CRASHED';

/**
 * The function returned something CloudFront would not accept: not a request/response, a bad status, a
 * disallowed or read-only header, a body over the limit, bad base64. CloudFront answers 502 and
 * `x-cache: LambdaValidationError`.
 */
export class LambdaValidationError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_FUNCTION_INVALID_RESULT', message, 'user', details);
  }
}

/** Reserved for throttling (reserved concurrency exhausted): 503 `LambdaLimitExceeded`. */
export class LambdaLimitExceededError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_FUNCTION_THROTTLED', message, 'user', details);
  }
}
