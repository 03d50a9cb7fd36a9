import { VergeError } from './verge-error.ts';

/**
 * A CloudFront Function failed. CloudFront reports these apart from Lambda@Edge's (its standard log's
 * x-edge-detailed-result-type values): FunctionExecutionError (the function threw, or could not
 * run), FunctionThrottledError (it went past its compute limit, or was refused by its reservedConcurrency) and FunctionValidationError (its
 * result is not a valid request or response).
 */
export type CloudFrontFunctionCode = 'VERGE_ERR_CFF_EXECUTION' | 'VERGE_ERR_CFF_THROTTLED' | 'VERGE_ERR_CFF_INVALID_RESULT';

export class CloudFrontFunctionError extends VergeError {
  constructor(code: CloudFrontFunctionCode, message: string, details: Record<string, unknown> = {}, fault: 'user' | 'system' = 'user') {
    super(code, message, fault, details);
  }
}

/**
 * The same failure, as a CloudFront Function reports it. The runtime reports a failure with
 * Lambda's codes (one invocation path for both runtimes); the original code stays in `cause`.
 */
export function asCloudFrontFunctionError(err: VergeError): CloudFrontFunctionError {
  const details = { ...err.details, cause: err.code };
  switch (err.code) {
    case 'VERGE_ERR_FUNCTION_INVALID_RESULT':
      return new CloudFrontFunctionError('VERGE_ERR_CFF_INVALID_RESULT', err.message, details);
    case 'VERGE_ERR_FUNCTION_TIMEOUT':
    // Refused by its reservedConcurrency: CloudFront reports a function it would not run as throttled
    // (FunctionThrottledError), never as an execution error.
    case 'VERGE_ERR_FUNCTION_THROTTLED':
      return new CloudFrontFunctionError('VERGE_ERR_CFF_THROTTLED', err.message, details);
    default:
      return new CloudFrontFunctionError('VERGE_ERR_CFF_EXECUTION', err.message, details, err.fault);
  }
}
