/**
 * What happened to one response, as one value (STYLE.md habit 9): it feeds the `x-cache` header, the
 * access log's x-edge-result-type / x-edge-detailed-result-type and metric labels alike.
 * `Hit`: served from the cache (fresh, or stale while revalidating, or stale because the origin failed);
 * `RefreshHit`: the stored response was stale and the origin confirmed it (304); `Miss`: from the origin.
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

/**
 * One member of the RFC 9211 `Cache-Status` list: what this cache did with the request. `fwd` says
 * why it went to the origin (RFC 9211 §2.2: bypass, method, uri-miss, vary-miss, miss, request, stale,
 * partial); `hit` that it was answered from the cache without going forward.
 */
export interface CacheStatusMember {
  readonly hit?: boolean;
  readonly fwd?: 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'partial';
  /** The origin's status when forwarded (RFC 9211 §2.3). */
  readonly fwdStatus?: number;
  /** Remaining freshness in seconds; negative when stale (RFC 9211 §2.4). */
  readonly ttlS?: number;
  /** The response was stored (RFC 9211 §2.5). */
  readonly stored?: boolean;
  /** It waited for another request's identical origin fetch (RFC 9211 §2.6). */
  readonly collapsed?: boolean;
  /** Extra detail as an sf-token, e.g. `stale-while-revalidate` (RFC 9211 §2.8). */
  readonly detail?: string;
}

/** The member as a Structured Field list item: `Verge; hit; ttl=42` (RFC 8941 §3.1). */
export function cacheStatusValue(m: CacheStatusMember): string {
  let v = 'Verge';
  if (m.hit) v += '; hit';
  if (m.fwd !== undefined) v += `; fwd=${m.fwd}`;
  if (m.fwdStatus !== undefined) v += `; fwd-status=${m.fwdStatus}`;
  if (m.ttlS !== undefined) v += `; ttl=${Math.trunc(m.ttlS)}`;
  if (m.stored) v += '; stored';
  if (m.collapsed) v += '; collapsed';
  if (m.detail !== undefined) v += `; detail=${m.detail}`;
  return v;
}
