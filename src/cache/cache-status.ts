/**
 * What happened to one response, as one value (STYLE.md habit 9): it feeds the `x-cache` header, the
 * access log's x-edge-result-type / x-edge-detailed-result-type and metric labels alike. The cache
 * itself arrives with a later issue; until then every forwarded request is a Miss.
 */
export type CacheStatus =
  | 'Hit'
  | 'RefreshHit'
  | 'Miss'
  | 'Error'
  | 'LambdaGeneratedResponse'
  | 'LambdaExecutionError'
  | 'LambdaValidationError'
  | 'LambdaLimitExceeded'
  // CloudFront Functions' outcomes (x-edge-detailed-result-type in CloudFront's standard logs).
  | 'FunctionGeneratedResponse'
  | 'FunctionExecutionError'
  | 'FunctionValidationError'
  | 'FunctionThrottledError';

/** CloudFront's `x-cache` value: `Miss from cloudfront`; ours says `from verge`. */
export function xCacheValue(status: CacheStatus): string {
  return `${status} from verge`;
}

/** x-edge-result-type: CloudFront folds the detailed outcomes into a few classes. */
export function edgeResultType(status: CacheStatus): string {
  switch (status) {
    case 'Hit':
    case 'RefreshHit':
    case 'Miss':
      return status;
    case 'LambdaLimitExceeded':
      return 'LimitExceeded';
    case 'LambdaGeneratedResponse':
    case 'FunctionGeneratedResponse':
      return 'Miss';
    default:
      return 'Error';
  }
}
