/**
 * The primary cache key, as a behavior's cache policy defines it (CloudFront's CachePolicyConfig,
 * "Understand the cache key"): the URI, the query-string parameters, headers and cookies the policy
 * selects, and the content coding the viewer will get. The Vary-selected secondary key lives in
 * variant-key.ts.
 */
import type { CachePolicyConfig, KeyList } from '../config/cache-config.ts';
import type { RawHeaders } from './variant-key.ts';

export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * Accept-Encoding reduced to the one coding the viewer will be served, as CloudFront normalises it
 * when the policy enables gzip / Brotli: br when enabled and acceptable, else gzip (x-gzip is the
 * same, RFC 9110 §8.4.1.3), else identity. A coding with q=0 is not acceptable; `*` stands for
 * every coding not named (RFC 9110 §12.5.3). Otherwise quality values do not reorder the choice:
 * br is preferred, as CloudFront does. A malformed member counts as absent.
 */
export function normaliseAcceptEncoding(policy: CachePolicyConfig, acceptEncoding: string | undefined): ContentCoding {
  if (acceptEncoding === undefined || (!policy.enableAcceptEncodingBrotli && !policy.enableAcceptEncodingGzip)) return 'identity';
  const weights = new Map<string, number>();
  for (const member of acceptEncoding.split(',')) {
    const [codingPart, ...params] = member.split(';');
    let coding = codingPart!.trim().toLowerCase();
    if (coding === '') continue;
    if (coding === 'x-gzip') coding = 'gzip';
    let q = 1;
    for (const param of params) {
      const m = /^\s*q\s*=(.*)$/i.exec(param);
      if (m === null) continue;
      // RFC 9110 §12.4.2 weight: 0 to 1 with up to three decimals.
      const weight = m[1]!.trim();
      q = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(weight) ? Number(weight) : Number.NaN;
    }
    if (Number.isNaN(q)) continue;
    // A coding listed twice: the higher weight counts.
    weights.set(coding, Math.max(q, weights.get(coding) ?? 0));
  }
  const acceptable = (coding: string): boolean => {
    const q = weights.get(coding) ?? weights.get('*');
    return q !== undefined && q > 0;
  };
  if (policy.enableAcceptEncodingBrotli && acceptable('br')) return 'br';
  if (policy.enableAcceptEncodingGzip && acceptable('gzip')) return 'gzip';
  return 'identity';
}

export interface CacheKeyRequest {
  /** GET and HEAD share keys (a HEAD is answered from a stored GET); defaults to GET. */
  readonly method?: string;
  /** What keeps two distributions sharing one store apart (e.g. the distribution's id); '' if none. */
  readonly scope?: string;
  readonly uri: string;
  /** Without the leading "?". */
  readonly querystring: string;
  readonly headers: RawHeaders;
}

/**
 * The primary cache key. Built as a JSON array, so no header, cookie or parameter value — whatever
 * quotes, separators or "=" it holds — can make two different requests share a key.
 *
 * - Method class: GET and HEAD share (RFC 9110 §9.3.2); other methods get their own.
 * - The Host header is part of the key only when the policy lists it (CloudFront's rule: a
 *   distribution's aliases share one cache); `scope` separates distributions.
 * - Query-string parameters the policy selects, sorted by name (a stable sort: repeated names keep
 *   their order). CloudFront keys them in the order received, so `?a=1&b=2` and `?b=2&a=1` are two
 *   objects there and one here: an origin that treats parameter order as meaningful is vanishingly
 *   rare, and the origin still receives the query string exactly as sent. Names are matched against
 *   the policy's items percent-decoded; names and values are keyed as received.
 * - Headers the policy lists (lower-cased names), their field lines combined; absent differs from empty.
 * - Cookies the policy selects, sorted by name, as CloudFront sorts them before forwarding.
 * - The content coding from normaliseAcceptEncoding.
 */
export function cacheKey(policy: CachePolicyConfig, req: CacheKeyRequest, coding: ContentCoding): string {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = policy.headers.behavior === 'whitelist' ? selectHeaders(policy.headers, req.headers) : [];
  return JSON.stringify([
    'v1',
    method === 'HEAD' ? 'GET' : method,
    req.scope ?? '',
    req.uri,
    selectQuery(policy.queryStrings, req.querystring),
    headers,
    selectCookies(policy.cookies, req.headers),
    coding,
  ]);
}

function selects(list: KeyList, name: string): boolean {
  switch (list.behavior) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'whitelist':
      return list.items.includes(name);
    case 'allExcept':
      return !list.items.includes(name);
  }
}

/** [name, value] pairs; a parameter without "=" has value null (`?a` is not `?a=`). */
function selectQuery(list: KeyList, querystring: string): Array<[string, string | null]> {
  if (list.behavior === 'none' || querystring === '') return [];
  const out: Array<{ key: string; pair: [string, string | null] }> = [];
  for (const segment of querystring.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const name = eq === -1 ? segment : segment.slice(0, eq);
    const decoded = decodeName(name);
    if (selects(list, decoded)) out.push({ key: decoded, pair: [name, eq === -1 ? null : segment.slice(eq + 1)] });
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map((p) => p.pair);
}

function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name; // malformed percent-encoding: matched as written
  }
}

function selectCookies(list: KeyList, headers: RawHeaders): Array<[string, string]> {
  if (list.behavior === 'none') return [];
  const out: Array<[string, string]> = [];
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'cookie') continue;
    // RFC 6265 §5.4: cookie-pairs separated by "; " (browsers may send several Cookie lines over HTTP/2).
    for (const pair of headers[i + 1]!.split(';')) {
      const trimmed = pair.trim();
      if (trimmed === '') continue;
      const eq = trimmed.indexOf('=');
      const name = (eq === -1 ? '' : trimmed.slice(0, eq)).trim();
      const value = (eq === -1 ? trimmed : trimmed.slice(eq + 1)).trim();
      if (selects(list, name)) out.push([name, value]);
    }
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

// A policy's header names, de-duplicated and sorted once (policies are frozen config objects).
const preparedHeaderLists = new WeakMap<KeyList, { readonly names: readonly string[]; readonly wanted: ReadonlySet<string> }>();

/** [name, combined field lines or null] for each listed header, in name order; one pass over the request's headers. */
function selectHeaders(list: KeyList, headers: RawHeaders): Array<[string, string | null]> {
  let prepared = preparedHeaderLists.get(list);
  if (prepared === undefined) {
    const names = [...new Set(list.items)].sort();
    prepared = { names, wanted: new Set(names) };
    preparedHeaderLists.set(list, prepared);
  }
  const values = new Map<string, string>();
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i]!.toLowerCase();
    if (!prepared.wanted.has(lower)) continue;
    const value = headers[i + 1]!.trim();
    const earlier = values.get(lower);
    values.set(lower, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return prepared.names.map((name) => [name, values.get(name) ?? null]);
}
