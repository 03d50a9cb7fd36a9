/**
 * Cache directives, parsed right: Cache-Control and Surrogate-Control with the RFC 9111 §5.2 syntax,
 * CDN-Cache-Control as the RFC 8941 Dictionary that RFC 9213 §2.2 makes it.
 *
 * http-cache-semantics splits Cache-Control on every comma and keeps directive names as written, so
 * `No-Store` is not no-store, `no-cache="a, b"` becomes two broken directives and
 * `extension="max-age=100"` sets max-age. This parser is the one the response policy uses instead.
 */
import { parseDictionary } from 'structured-headers';

/** Directive name (lower-cased) → its value (quotes removed), or true when it has none. */
export type Directives = ReadonlyMap<string, string | true>;

// RFC 9110 §5.6.2 tchar.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const OWS = /[ \t]/;
// RFC 9111 §1.2.2: a delta-seconds past 2^31 is taken as 2^31.
const DELTA_SECONDS_MAX = 2_147_483_648;

/**
 * Parses Cache-Control syntax: `#( token [ "=" ( token / quoted-string ) ] )`. Names are
 * case-insensitive (RFC 9111 §5.2); a quoted value may hold commas; a member that breaks the grammar
 * (`max-age =1`, `max-age= 1`) is dropped as a whole, not guessed at. When a directive occurs twice
 * the first occurrence counts (RFC 9111 §4.2.1). Several field lines arrive joined with "," or "\n".
 */
export function parseCacheControl(field: string | undefined): Map<string, string | true> {
  const out = new Map<string, string | true>();
  if (field === undefined) return out;
  const s = field;
  let i = 0;
  while (i < s.length) {
    // Skip separators and empty list members (RFC 9110 §5.6.1 allows "a, , b").
    while (i < s.length && (OWS.test(s[i]!) || s[i] === ',' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= s.length) break;
    let name = '';
    while (i < s.length && TCHAR.test(s[i]!)) name += s[i++];
    let value: string | true = true;
    let ok = name.length > 0;
    if (ok && s[i] === '=') {
      i++;
      if (s[i] === '"') {
        i++;
        let quoted = '';
        let closed = false;
        while (i < s.length) {
          const ch = s[i++]!;
          if (ch === '\\' && i < s.length) quoted += s[i++];
          else if (ch === '"') { closed = true; break; }
          else quoted += ch;
        }
        ok = closed;
        value = quoted;
      } else {
        let token = '';
        while (i < s.length && TCHAR.test(s[i]!)) token += s[i++];
        ok = token.length > 0;
        value = token;
      }
    }
    while (i < s.length && OWS.test(s[i]!)) i++;
    if (i < s.length && s[i] !== ',' && s[i] !== '\n' && s[i] !== '\r') {
      ok = false;
      i = skipMember(s, i);
    }
    if (ok) {
      const key = name.toLowerCase();
      if (!out.has(key)) out.set(key, value);
    }
  }
  return out;
}

/** Index of the comma that ends the current (malformed) member, ignoring commas in quoted strings. */
function skipMember(s: string, i: number): number {
  let quoted = false;
  for (; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') return i;
  }
  return i;
}

/** RFC 9111 §1.2.2 delta-seconds: digits only, capped at 2^31; anything else is undefined. */
export function deltaSeconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined;
  return Math.min(Number(value), DELTA_SECONDS_MAX);
}

/** The field names of a qualified `no-cache="a, b"` / `private="a"`, lower-cased; [] for the bare form. */
export function fieldNames(value: string | true | undefined): string[] {
  if (typeof value !== 'string') return [];
  return value.split(',').map((n) => n.trim().toLowerCase()).filter((n) => n.length > 0);
}

// Directives whose value RFC 9111 defines as delta-seconds; in a targeted field they must be Integers.
const INTEGER_DIRECTIVES = new Set(['max-age', 's-maxage', 'stale-while-revalidate', 'stale-if-error']);
// Directives that take no value, or (no-cache, private) a list of field names as a String.
const FLAG_DIRECTIVES = new Set(['no-store', 'must-revalidate', 'proxy-revalidate', 'public', 'immutable', 'must-understand', 'no-transform']);
const FLAG_OR_STRING_DIRECTIVES = new Set(['no-cache', 'private']);

/**
 * A targeted cache-control field (CDN-Cache-Control, RFC 9213 §2.2): an RFC 8941 Dictionary, so
 * names are lower-case by syntax, max-age is an Integer and `max-age="60"` is not max-age.
 * Undefined — the field is ignored and the cache falls back to Cache-Control (RFC 9213 §2.1) — when
 * it is absent, empty, does not parse, or gives a directive this cache knows a value of the wrong
 * type: ignoring only that directive would leave a field that still overrides Cache-Control, so a
 * typo in CDN-Cache-Control would silently cancel the origin's Cache-Control: no-store.
 */
export function parseTargetedField(field: string | undefined): Map<string, string | true> | undefined {
  if (field === undefined || field.trim() === '') return undefined;
  let dict;
  try {
    // Field lines arrive joined with "\n"; a Dictionary's lines combine with ", " (RFC 8941 §4.2).
    dict = parseDictionary(field.split('\n').join(', '));
  } catch {
    return undefined;
  }
  const out = new Map<string, string | true>();
  for (const [name, member] of dict) {
    const bare = member[0];
    if (Array.isArray(bare)) return undefined; // an Inner List is never a cache directive's value
    if (INTEGER_DIRECTIVES.has(name)) {
      if (typeof bare !== 'number' || !Number.isInteger(bare) || bare < 0) return undefined;
      out.set(name, String(Math.min(bare, DELTA_SECONDS_MAX)));
    } else if (FLAG_DIRECTIVES.has(name)) {
      if (typeof bare !== 'boolean') return undefined;
      if (bare) out.set(name, true);
    } else if (FLAG_OR_STRING_DIRECTIVES.has(name)) {
      if (typeof bare === 'string') out.set(name, bare);
      else if (typeof bare === 'boolean') { if (bare) out.set(name, true); }
      else return undefined;
    } else {
      // An extension directive: kept as text, never interpreted.
      out.set(name, typeof bare === 'boolean' ? true : String(bare));
    }
  }
  return out.size > 0 ? out : undefined;
}

/**
 * The device token this cache announces in `Surrogate-Capability` and answers to in Surrogate-Control
 * (W3C Edge Architecture Specification 1.0 §3: `max-age=60;verge` targets this surrogate only).
 */
export const SURROGATE_DEVICE_TOKEN = 'verge';

/**
 * Surrogate-Control's directives for this surrogate: untargeted ones, and those targeted at
 * SURROGATE_DEVICE_TOKEN; directives targeted at other surrogates are left out (Edge Architecture §3).
 */
export function parseSurrogateControl(field: string | undefined): Map<string, string | true> {
  if (field === undefined) return new Map();
  const ours: string[] = [];
  for (const member of field.split(/[,\n]/)) {
    const semicolon = member.lastIndexOf(';');
    if (semicolon === -1) ours.push(member);
    else if (member.slice(semicolon + 1).trim() === SURROGATE_DEVICE_TOKEN) ours.push(member.slice(0, semicolon));
  }
  return parseCacheControl(ours.join(','));
}
