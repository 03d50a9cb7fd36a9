/**
 * Vary (RFC 9110 §12.5.5) and the secondary cache key (RFC 9111 §4.1): one URL may hold several
 * stored responses, told apart by the request headers their Vary names. A store keeps each under
 * (primaryKey, variantKey); a request matches a stored variant when variantKey(stored names, its own
 * headers) equals the stored variantKey.
 */

/** Header lists are flat: [name, value, name, value, …]. */
export type RawHeaders = readonly string[];

/**
 * The names a response varies on: lower-cased, de-duplicated and sorted (`Vary: B, a` and
 * `Vary: A` + `Vary: b` select the same thing), or '*' when any member is `*` — such a response
 * never matches a later request (RFC 9111 §4.1) and is not worth storing.
 */
export function varyNames(headers: RawHeaders): readonly string[] | '*' {
  const names = new Set<string>();
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() !== 'vary') continue;
    for (const member of headers[i + 1]!.split(',')) {
      const name = member.trim().toLowerCase();
      if (name === '*') return '*';
      if (name !== '') names.add(name);
    }
  }
  return [...names].sort();
}

/**
 * The variant key of a request for a response that varies on `names`: '' when it varies on
 * nothing. RFC 9111 §4.1 normalisation: a header's field lines are combined with ", ", each line
 * trimmed and runs of spaces and tabs collapsed, and a list member's surrounding whitespace does
 * not count ("gzip,br" = "gzip, br"). An absent header only matches an absent header (it is not
 * the empty string). The names are part of the key, so responses varying on different headers
 * never share a key, and the encoding (JSON) cannot be forged by a crafted header value.
 */
export function variantKey(names: readonly string[], requestHeaders: RawHeaders): string {
  if (names.length === 0) return '';
  const parts: Array<[string, string | null]> = [];
  for (const name of names) parts.push([name, normalisedValue(requestHeaders, name)]);
  return JSON.stringify(parts);
}

function normalisedValue(headers: RawHeaders, lowerName: string): string | null {
  let lines: string[] | undefined;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === lowerName) (lines ??= []).push(headers[i + 1]!);
  }
  if (lines === undefined) return null;
  return lines
    .join(',')
    .split(',')
    .map((member) => member.replace(/[ \t]+/g, ' ').trim())
    .join(', ');
}
