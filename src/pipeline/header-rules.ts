import type { EventType } from '../config/types.ts';

// CloudFront's "Restrictions on edge functions": headers a function may not add, and headers it may
// not change, per event type. Both compare the function's result with the event it was given.

const DISALLOWED_EXACT = new Set([
  'connection',
  'expect',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'trailer',
  'upgrade',
  'x-amzn-auth',
  'x-amzn-cf-billing',
  'x-amzn-cf-id',
  'x-amzn-cf-xff',
  'x-amzn-errortype',
  'x-amzn-fle-profile',
  'x-amzn-header-count',
  'x-amzn-header-order',
  'x-amzn-lambda-integration-tag',
  'x-amzn-requestid',
  'x-cache',
  'x-forwarded-proto',
  'x-real-ip',
]);
const DISALLOWED_PREFIXES = ['x-accel-', 'x-amz-cf-', 'x-edge-'];

/** A header name (lowercase) that no function may add. */
export function isDisallowedHeader(lowerName: string): boolean {
  if (DISALLOWED_EXACT.has(lowerName)) return true;
  for (const prefix of DISALLOWED_PREFIXES) if (lowerName.startsWith(prefix)) return true;
  return false;
}

/** Headers (lowercase) whose values a function of the given event type may not change. */
export const READ_ONLY_HEADERS: Readonly<Record<EventType, ReadonlySet<string>>> = {
  'viewer-request': new Set(['content-length', 'host', 'transfer-encoding', 'via']),
  'origin-request': new Set([
    'accept-encoding',
    'content-length',
    'if-modified-since',
    'if-none-match',
    'if-range',
    'if-unmodified-since',
    'transfer-encoding',
    'via',
  ]),
  'origin-response': new Set(['transfer-encoding', 'via']),
  'viewer-response': new Set(['via', 'warning']),
};

// CloudFront Developer Guide, "Custom headers that CloudFront can't add to origin requests": an
// origin's custom headers may not be any of these (nor start with X-Amz- or X-Edge-).
const REFUSED_ORIGIN_CUSTOM_EXACT = new Set([
  'cache-control',
  'connection',
  'content-length',
  'cookie',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-range',
  'if-unmodified-since',
  'max-forwards',
  'pragma',
  'proxy-authorization',
  'proxy-connection',
  'range',
  'request-range',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'via',
  'x-real-ip',
]);
const REFUSED_ORIGIN_CUSTOM_PREFIXES = ['x-amz-', 'x-edge-'];

/** A header name (lowercase) that may not be an origin custom header: CloudFront's list, and any header no function may add. */
export function isRefusedOriginCustomHeader(lowerName: string): boolean {
  if (REFUSED_ORIGIN_CUSTOM_EXACT.has(lowerName) || isDisallowedHeader(lowerName)) return true;
  for (const prefix of REFUSED_ORIGIN_CUSTOM_PREFIXES) if (lowerName.startsWith(prefix)) return true;
  return false;
}

// An origin path is a URL path: no query, fragment, whitespace or control characters (the origin
// request's URL is built by appending the request URI to it).
const ORIGIN_PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;

/** An origin path as CloudFront takes it: "" or "/…" not ending in "/", URL-path characters only. */
export function isValidOriginPath(path: string): boolean {
  return path === '' || (path.startsWith('/') && !path.endsWith('/') && ORIGIN_PATH_CHARS.test(path));
}
