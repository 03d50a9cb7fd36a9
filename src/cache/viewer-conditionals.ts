/**
 * The viewer's own conditional and range requests, answered from a response the cache holds
 * (RFC 9110 §13 preconditions, §14 range requests). The origin never sees them on a cacheable miss:
 * the full response is fetched, stored, and the viewer's conditions are evaluated here.
 */
import { headerValue } from '../pipeline/header-list.ts';
import { parseHttpDate } from './http-date.ts';

type Raw = readonly string[];

/** Splits an entity-tag list (`"a", W/"b"`), keeping quoted commas intact (RFC 9110 §8.8.3). */
function entityTags(value: string): string[] {
  return value.match(/(?:W\/)?"[^"]*"|\*/g) ?? [];
}

const opaque = (tag: string): string => (tag.startsWith('W/') ? tag.slice(2) : tag);

/**
 * True when the viewer's If-None-Match / If-Modified-Since say it already holds this response, so a
 * 304 answers it (RFC 9110 §13.1.2 weak comparison; §13.1.3 only without If-None-Match; §13.2.2 order).
 */
export function isNotModified(method: string, requestHeaders: Raw, responseHeaders: Raw): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const inm = headerValue(requestHeaders, 'if-none-match');
  if (inm !== undefined) {
    const etag = headerValue(responseHeaders, 'etag');
    const tags = entityTags(inm);
    if (tags.includes('*')) return true;
    if (etag === undefined) return false;
    return tags.some((t) => opaque(t) === opaque(etag.trim()));
  }
  const ims = headerValue(requestHeaders, 'if-modified-since');
  if (ims === undefined) return false;
  const since = parseHttpDate(ims);
  // Without Last-Modified, the stored Date is the best estimate of when it was last modified (RFC 9111 §4.3.2).
  const lastModified = parseHttpDate(headerValue(responseHeaders, 'last-modified') ?? headerValue(responseHeaders, 'date') ?? '');
  return since !== undefined && lastModified !== undefined && lastModified <= since;
}

// RFC 9110 §15.4.5: a 304 carries what a 200 would have for cache updates, not the representation's metadata.
const NOT_IN_304 = new Set(['content-length', 'content-type', 'content-encoding', 'content-language', 'content-range', 'transfer-encoding']);

/** The header list of a 304 answering a viewer's conditional request for this response. */
export function notModifiedHeaders(responseHeaders: Raw): string[] {
  const out: string[] = [];
  for (let i = 0; i < responseHeaders.length; i += 2) {
    if (!NOT_IN_304.has(responseHeaders[i]!.toLowerCase())) out.push(responseHeaders[i]!, responseHeaders[i + 1]!);
  }
  return out;
}

export type RangeAnswer =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * What to send for the viewer's Range header against a stored full response of `size` bytes. One
 * byte range is answered with 206; several ranges, other units or a failed If-Range get the whole
 * response, which RFC 9110 §14.2 always allows.
 */
export function rangeAnswer(method: string, requestHeaders: Raw, responseHeaders: Raw, status: number, size: number): RangeAnswer {
  const range = headerValue(requestHeaders, 'range');
  if (method !== 'GET' || range === undefined || status !== 200) return { kind: 'full' };
  const ifRange = headerValue(requestHeaders, 'if-range');
  if (ifRange !== undefined && !ifRangeHolds(ifRange.trim(), responseHeaders)) return { kind: 'full' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(range);
  if (m === null || (m[1] === '' && m[2] === '')) return { kind: 'full' };
  let start: number;
  let end: number;
  if (m[1] === '') {
    // A suffix range: the last N bytes (§14.1.1).
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return { kind: 'full' }; // invalid: ignore the header (§14.1.1)
  }
  if (start >= size || size === 0) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** If-Range: a strong entity-tag match, or a date equal to a strong Last-Modified (RFC 9110 §13.1.5). */
function ifRangeHolds(ifRange: string, responseHeaders: Raw): boolean {
  if (ifRange.startsWith('"') || ifRange.startsWith('W/')) {
    const etag = headerValue(responseHeaders, 'etag')?.trim();
    return etag !== undefined && !etag.startsWith('W/') && !ifRange.startsWith('W/') && etag === ifRange;
  }
  const date = parseHttpDate(ifRange);
  const lastModified = parseHttpDate(headerValue(responseHeaders, 'last-modified') ?? '');
  return date !== undefined && date === lastModified;
}
