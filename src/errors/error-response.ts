import type { CacheStatus } from '../cache/cache-status.ts';
import { VergeError } from './verge-error.ts';

/** How one error is shown: to the viewer (status, x-cache, body) and to the operator (log level). */
export interface ErrorPresentation {
  readonly status: number;
  readonly cacheStatus: CacheStatus;
  readonly code: string;
  readonly message: string;
  readonly logLevel: 'warn' | 'error';
}

export interface ErrorPresentationOptions {
  /** LambdaExecutionError status: 503 as CloudFront answers today, 500 as older docs say. */
  readonly executionErrorStatus: number;
}

/**
 * The one place an error code becomes an HTTP answer (STYLE.md habit 2). Anything that is not a
 * VergeError is a bug of ours: 500, logged at error level.
 */
export function presentError(err: unknown, options: ErrorPresentationOptions): ErrorPresentation {
  if (!(err instanceof VergeError)) {
    return { status: 500, cacheStatus: 'Error', code: 'VERGE_ERR_INTERNAL', message: 'Internal error', logLevel: 'error' };
  }
  const base = { code: err.code, message: err.message, logLevel: err.fault === 'user' ? ('warn' as const) : ('error' as const) };
  switch (err.code) {
    case 'VERGE_ERR_FUNCTION_INVALID_RESULT':
      return { ...base, status: 502, cacheStatus: 'LambdaValidationError' };
    case 'VERGE_ERR_FUNCTION_THREW':
    case 'VERGE_ERR_FUNCTION_TIMEOUT':
    case 'VERGE_ERR_FUNCTION_MEMORY':
    case 'VERGE_ERR_FUNCTION_LOAD':
    case 'VERGE_ERR_FUNCTION_CRASHED':
      return { ...base, status: options.executionErrorStatus, cacheStatus: 'LambdaExecutionError' };
    case 'VERGE_ERR_FUNCTION_THROTTLED':
      return { ...base, status: 503, cacheStatus: 'LambdaLimitExceeded' };
    // CloudFront Functions (errors/cloudfront-function-errors.ts).
    case 'VERGE_ERR_CFF_INVALID_RESULT':
      return { ...base, status: 502, cacheStatus: 'FunctionValidationError' };
    case 'VERGE_ERR_CFF_EXECUTION':
      return { ...base, status: 503, cacheStatus: 'FunctionExecutionError' };
    case 'VERGE_ERR_CFF_THROTTLED':
      return { ...base, status: 503, cacheStatus: 'FunctionThrottledError' };
    case 'VERGE_ERR_ORIGIN_UNREACHABLE':
    case 'VERGE_ERR_ORIGIN_INVALID_RESPONSE':
      return { ...base, status: 502, cacheStatus: 'Error' };
    case 'VERGE_ERR_ORIGIN_TIMEOUT':
      return { ...base, status: 504, cacheStatus: 'Error' };
    case 'VERGE_ERR_REQUEST_BODY_TOO_LARGE':
      return { ...base, status: 413, cacheStatus: 'Error' };
    case 'VERGE_ERR_NO_BEHAVIOR':
      return { ...base, status: 404, cacheStatus: 'Error' };
    // A cache store that failed an invalidation (errors/cache-errors.ts); on the request path a
    // store failure is a miss and never reaches this point.
    case 'VERGE_ERR_CACHE_STORE':
      return { ...base, status: 503, cacheStatus: 'Error' };
    // The admin API (errors/admin-errors.ts); answered as JSON, never to viewers.
    case 'VERGE_ERR_ROLLOUT_INVALID':
      return { ...base, status: 409, cacheStatus: 'Error' };
    case 'VERGE_ERR_TEST_EVENT_INVALID':
      return { ...base, status: 400, cacheStatus: 'Error' };
    case 'VERGE_ERR_ADMIN_BAD_REQUEST':
      return { ...base, status: 400, cacheStatus: 'Error' };
    case 'VERGE_ERR_ADMIN_UNAUTHORIZED':
      return { ...base, status: 401, cacheStatus: 'Error' };
    case 'VERGE_ERR_ADMIN_FORBIDDEN':
      return { ...base, status: 403, cacheStatus: 'Error' };
    case 'VERGE_ERR_ADMIN_NOT_FOUND':
      return { ...base, status: 404, cacheStatus: 'Error' };
    case 'VERGE_ERR_ADMIN_PAYLOAD_TOO_LARGE':
      return { ...base, status: 413, cacheStatus: 'Error' };
    // The control plane's store (errors/control-errors.ts); answered as JSON by the admin API.
    case 'VERGE_ERR_CONTROL_INVALID':
    // The control plane's service layer (errors/control-plane-errors.ts).
    case 'VERGE_ERR_CONTROL_INVALID_CODE':
    case 'VERGE_ERR_CONTROL_INVALID_REVISION':
      return { ...base, status: 400, cacheStatus: 'Error' };
    case 'VERGE_ERR_CONTROL_NOT_FOUND':
      return { ...base, status: 404, cacheStatus: 'Error' };
    case 'VERGE_ERR_CONTROL_CONFLICT':
      return { ...base, status: 409, cacheStatus: 'Error' };
    case 'VERGE_ERR_CONTROL_STORE':
    // An edge node run by a control plane, before its first revision (errors/edge-errors.ts).
    case 'VERGE_ERR_NO_REVISION':
      return { ...base, status: 503, cacheStatus: 'Error' };
    default:
      return { ...base, status: 500, cacheStatus: 'Error', logLevel: 'error' };
  }
}

/** The short text body every error response carries: the code and the request id, nothing internal. */
export function errorBody(p: ErrorPresentation, requestId: string): string {
  return `${p.status} ${p.cacheStatus}: ${p.code}\nRequest ID: ${requestId}\n`;
}
