// Runs INSIDE the isolate. Node's `querystring` module (https://nodejs.org/api/querystring.html),
// following Node's lib/querystring.js: parse returns a null-prototype object, turns `+` into a space,
// keeps at most maxKeys (1000) pairs, and decodes malformed percent-escapes leniently (the bytes it can
// read, U+FFFD for invalid UTF-8) instead of throwing. Written here rather than bundling
// querystring-es3, whose parse throws a URIError on input like `a=%E0%A4%A` that Node accepts: Lambda@Edge
// code parses viewers' query strings, and must not fail where it does not fail on AWS.
import { utf8Decode, utf8Encode } from './encoding.isolate.js';

const HEX = /^[0-9a-fA-F]{2}$/;

/** Node's querystring.unescapeBuffer, then UTF-8: %XX pairs become bytes, anything else stays as is. */
function unescapeLenient(s) {
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && HEX.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    let end = i + 1;
    while (end < s.length && s[end] !== '%') end++;
    for (const b of utf8Encode(s.slice(i, end))) bytes.push(b);
    i = end - 1;
  }
  return utf8Decode(Uint8Array.from(bytes), false);
}

export function unescape(s) {
  const str = String(s);
  try {
    return decodeURIComponent(str);
  } catch {
    return unescapeLenient(str);
  }
}

// Node's escape leaves exactly encodeURIComponent's unreserved set: A–Z a–z 0–9 - _ . ! ~ * ' ( ).
export function escape(s) {
  return encodeURIComponent(typeof s === 'string' ? s : String(s));
}

function decodeWith(decode, s) {
  if (s.indexOf('%') === -1) return s;
  try {
    return decode(s);
  } catch {
    return unescapeLenient(s);
  }
}

export function parse(qs, sep, eq, options) {
  const obj = { __proto__: null };
  if (typeof qs !== 'string' || qs.length === 0) return obj;
  const sepStr = sep ? String(sep) : '&';
  const eqStr = eq ? String(eq) : '=';
  let maxKeys = 1000;
  if (options && typeof options.maxKeys === 'number') maxKeys = options.maxKeys;
  const decode = options && typeof options.decodeURIComponent === 'function' ? options.decodeURIComponent : unescape;
  let pairs = qs.split(sepStr);
  if (maxKeys > 0 && pairs.length > maxKeys) pairs = pairs.slice(0, maxKeys);
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    const idx = pair.indexOf(eqStr);
    const rawKey = idx >= 0 ? pair.slice(0, idx) : pair;
    const rawValue = idx >= 0 ? pair.slice(idx + eqStr.length) : '';
    const key = decodeWith(decode, rawKey.replace(/\+/g, ' '));
    const value = decodeWith(decode, rawValue.replace(/\+/g, ' '));
    const existing = obj[key];
    if (existing === undefined) obj[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else obj[key] = [existing, value];
  }
  return obj;
}

function primitive(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && isFinite(v)) return '' + v;
  if (typeof v === 'bigint') return '' + v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return '';
}

export function stringify(obj, sep, eq, options) {
  const sepStr = sep || '&';
  const eqStr = eq || '=';
  const encode = options && typeof options.encodeURIComponent === 'function' ? options.encodeURIComponent : escape;
  if (obj === null || typeof obj !== 'object') return '';
  const fields = [];
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    const ks = encode(primitive(k)) + eqStr;
    if (Array.isArray(v)) {
      for (const item of v) fields.push(ks + encode(primitive(item)));
    } else {
      fields.push(ks + encode(primitive(v)));
    }
  }
  return fields.join(sepStr);
}

export default function install(sandbox) {
  sandbox.defineModule('querystring', () => ({ parse, decode: parse, stringify, encode: stringify, escape, unescape }));
}
