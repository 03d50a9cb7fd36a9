// Runs INSIDE the isolate. atob / btoa (HTML Living Standard, "Base64 utility methods"): strings whose
// characters are all ≤ U+00FF, with the spec's forgiving-base64 decode (whitespace ignored, padding optional).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function invalidCharacter(message) {
  const err = new Error(message);
  err.name = 'InvalidCharacterError';
  return err;
}

export function btoa(data) {
  if (arguments.length === 0) throw new TypeError('btoa requires 1 argument');
  const s = String(data);
  let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i);
    const b = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
    const c = i + 2 < s.length ? s.charCodeAt(i + 2) : 0;
    if (a > 255 || b > 255 || c > 255) throw invalidCharacter('Invalid character');
    out += ALPHABET[a >> 2] + ALPHABET[((a & 3) << 4) | (b >> 4)];
    out += i + 1 < s.length ? ALPHABET[((b & 15) << 2) | (c >> 6)] : '=';
    out += i + 2 < s.length ? ALPHABET[c & 63] : '=';
  }
  return out;
}

export function atob(data) {
  if (arguments.length === 0) throw new TypeError('atob requires 1 argument');
  let s = String(data).replace(/[\t\n\f\r ]/g, '');
  if (s.length % 4 === 0) s = s.replace(/==?$/, '');
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw invalidCharacter('The string to be decoded is not correctly encoded.');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    buffer = (buffer << 6) | ALPHABET.indexOf(s[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 255);
    }
  }
  return out;
}

export default function install(sandbox) {
  sandbox.defineGlobals('base64', () => ({ atob, btoa }));
}
