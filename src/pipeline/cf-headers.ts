import type { CfHeaders } from './cf-types.ts';

// RFC 9110 §7.6.1: hop-by-hop fields describe one connection and are never forwarded by a proxy,
// together with any field the Connection header names. Transfer-Encoding is framing of one hop too.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** Names (lowercase) listed in Connection headers, which are hop-by-hop as well. */
function connectionListed(raw: readonly string[]): Set<string> | undefined {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      listed ??= new Set();
      for (const token of raw[i + 1]!.split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  return listed;
}

/**
 * Node's rawHeaders ([name, value, name, value…], as received) → CloudFront headers, keeping order,
 * case (in `key`) and duplicates; hop-by-hop fields are dropped.
 */
export function cfHeadersFromRaw(raw: readonly string[]): CfHeaders {
  const listed = connectionListed(raw);
  const headers: CfHeaders = {};
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    const lower = key.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    const entry = { key, value: raw[i + 1]! };
    const list = headers[lower];
    if (list === undefined) headers[lower] = [entry];
    else list.push(entry);
  }
  return headers;
}

/** Raw [name, value…] without hop-by-hop fields, for streaming straight through when no function runs. */
export function stripHopByHop(raw: readonly string[]): string[] {
  const listed = connectionListed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** CloudFront headers → flat [name, value…]; an entry without `key` gets its name in Title-Case. */
export function cfHeadersToRaw(headers: CfHeaders): string[] {
  const out: string[] = [];
  for (const lower in headers) {
    const list = headers[lower]!;
    for (const entry of list) out.push(entry.key ?? titleCase(lower), entry.value);
  }
  return out;
}

/** `x-custom-header` → `X-Custom-Header`, as Lambda@Edge fills a missing `key`. */
export function titleCase(name: string): string {
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch;
    upper = ch === '-';
  }
  return out;
}

/** The first value of a header, or undefined. */
export function firstValue(headers: CfHeaders, lower: string): string | undefined {
  return headers[lower]?.[0]?.value;
}

/** Appends a value, keeping earlier entries. */
export function appendHeader(headers: CfHeaders, key: string, value: string): void {
  const lower = key.toLowerCase();
  const list = headers[lower];
  if (list === undefined) headers[lower] = [{ key, value }];
  else list.push({ key, value });
}

export function setHeader(headers: CfHeaders, key: string, value: string): void {
  headers[key.toLowerCase()] = [{ key, value }];
}
