// Runs INSIDE the isolate, in place of `@exodus/bytes/whatwg.js` inside the bundled whatwg-url (see
// sandbox-units.ts). whatwg-url's public API (URL, URLSearchParams) always encodes as UTF-8, so the
// legacy encodings of the original (~170 KB of tables) are never reached: this keeps UTF-8 only.
// URL Standard §1.3, "string percent-encode after encoding".
import { utf8Encode } from './encoding.isolate.js';

const HEX = '0123456789ABCDEF';

export function percentEncodeAfterEncoding(encoding, input, percentEncodeSet, spaceAsPlus = false) {
  if (String(encoding).toLowerCase() !== 'utf-8') throw new RangeError('Only utf-8 is supported in the Verge sandbox');
  const bytes = utf8Encode(input);
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (spaceAsPlus && b === 0x20) out += '+';
    else if (b < 0x20 || b > 0x7e || percentEncodeSet.indexOf(String.fromCharCode(b)) !== -1) out += '%' + HEX[b >> 4] + HEX[b & 15];
    else out += String.fromCharCode(b);
  }
  return out;
}
