// Runs INSIDE the isolate, in place of the `tr46` package inside the bundled whatwg-url (see
// sandbox-units.ts): UTS #46 processing ("domain to ASCII", URL Standard §3.5) by the host's own
// implementation (Node's url.domainToASCII, WHATWG-conformant through ada), reached through the
// sandbox's host call. tr46's IDNA tables would add ~1.5 MB to the heap of every isolate that uses URL.
// ASCII hostnames without a punycode label, by far the common case, need no tables: UTS #46 only
// lowercases them (its mapping table is the identity on ASCII apart from A–Z).

import { decode } from 'punycode/';

let host;

/** Set by url-global.isolate.js before whatwg-url is first evaluated. */
export function setHost(fn) {
  host = fn;
}

const PLAIN_ASCII = /^[\x00-\x7f]*$/;
const PUNYCODE_LABEL = /(^|\.)xn--/i;

export function toASCII(domain) {
  if (PLAIN_ASCII.test(domain) && !PUNYCODE_LABEL.test(domain)) return domain.toLowerCase();
  const ascii = host('domainToASCII', domain);
  if (ascii === '') return null;
  // Node's implementation passes "xn--" labels through unchecked; UTS #46 §4.1 (Validity Criteria,
  // step 4) requires them to decode to a non-empty, non-ASCII label that is itself valid, i.e. one
  // that maps back to the same A-label.
  const labels = ascii.split('.');
  for (const label of labels) {
    if (!label.startsWith('xn--')) continue;
    let unicode;
    try {
      unicode = decode(label.slice(4));
    } catch {
      return null;
    }
    if (unicode === '' || PLAIN_ASCII.test(unicode) || host('domainToASCII', unicode) !== label) return null;
  }
  return ascii;
}

export function toUnicode(domain) {
  const unicode = host('domainToUnicode', domain);
  return { domain: unicode, error: unicode === '' };
}
