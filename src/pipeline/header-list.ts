/**
 * Headers on the host side are one flat list, [Name, value, Name, value…], exactly as Node's
 * rawHeaders and undici's raw headers carry them: order, case and duplicates kept, no conversion on
 * the way in or out. It is also what crosses into the isolate (joined with "\n"). The CloudFront
 * object form ({lowercase: [{key, value}]}) exists only inside the isolate.
 */
export type HeaderList = string[];

// RFC 9110 §7.6.1: hop-by-hop fields describe one connection and are never forwarded by a proxy,
// together with any field the Connection header names. Transfer-Encoding is framing of one hop too.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** A copy of `raw` without hop-by-hop fields (and without those the Connection header lists). */
export function stripHopByHop(raw: readonly string[]): HeaderList {
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      listed ??= new Set();
      for (const token of raw[i + 1]!.split(',')) listed.add(token.trim().toLowerCase());
    }
  }
  const out: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** The values of one header (lowercase name), joined with "\n"; undefined when absent. */
export function headerValue(list: readonly string[], lower: string): string | undefined {
  let out: string | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i]!.length === lower.length && list[i]!.toLowerCase() === lower) out = out === undefined ? list[i + 1]! : `${out}\n${list[i + 1]!}`;
  }
  return out;
}

/** Removes every field with this (lowercase) name. */
export function removeHeader(list: HeaderList, lower: string): void {
  let w = 0;
  for (let r = 0; r < list.length; r += 2) {
    if (list[r]!.length === lower.length && list[r]!.toLowerCase() === lower) continue;
    list[w++] = list[r]!;
    list[w++] = list[r + 1]!;
  }
  list.length = w;
}

/** Replaces every field with this name by one field. */
export function setHeader(list: HeaderList, name: string, value: string): void {
  removeHeader(list, name.toLowerCase());
  list.push(name, value);
}

/** The lowercase names present, for "was this header there before the function ran?". */
export function headerNames(list: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (let i = 0; i < list.length; i += 2) names.add(list[i]!.toLowerCase());
  return names;
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
