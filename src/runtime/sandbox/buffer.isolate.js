// Runs INSIDE the isolate. Node's `buffer` module and the `Buffer` global: the `buffer` npm package
// (feross/buffer, the Buffer of browserify and webpack), plus the 'base64url' encoding Node added in
// v15.7 (RFC 4648 §5), which that package lacks. Evaluated on first use only (see globals.isolate.ts).
import { atob, btoa } from './base64.isolate.js';

const isBase64Url = (encoding) => typeof encoding === 'string' && encoding.toLowerCase() === 'base64url';
const toBase64 = (s) => s.replace(/-/g, '+').replace(/_/g, '/');

function create() {
  // require (not import) so esbuild evaluates the package here, on first use, not at install time.
  const pkg = require('buffer/');
  const Buffer = pkg.Buffer;
  const from = Buffer.from;
  Buffer.from = function (value, encodingOrOffset, length) {
    if (typeof value === 'string' && isBase64Url(encodingOrOffset)) return from.call(this, toBase64(value), 'base64');
    return from.call(this, value, encodingOrOffset, length);
  };
  const isEncoding = Buffer.isEncoding;
  Buffer.isEncoding = (encoding) => isBase64Url(encoding) || isEncoding(encoding);
  const byteLength = Buffer.byteLength;
  Buffer.byteLength = (string, encoding) => (typeof string === 'string' && isBase64Url(encoding) ? byteLength(toBase64(string), 'base64') : byteLength(string, encoding));
  const toString = Buffer.prototype.toString;
  Buffer.prototype.toString = function (encoding, start, end) {
    if (isBase64Url(encoding)) return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    return toString.apply(this, arguments);
  };
  const write = Buffer.prototype.write;
  Buffer.prototype.write = function (string, offset, length, encoding) {
    if (isBase64Url(encoding)) return write.call(this, toBase64(string), offset, length, 'base64');
    if (isBase64Url(offset)) return write.call(this, toBase64(string), 'base64');
    if (isBase64Url(length)) return write.call(this, toBase64(string), offset, 'base64');
    return write.apply(this, arguments);
  };
  return {
    Buffer,
    SlowBuffer: pkg.SlowBuffer,
    INSPECT_MAX_BYTES: pkg.INSPECT_MAX_BYTES,
    kMaxLength: pkg.kMaxLength,
    constants: { MAX_LENGTH: pkg.kMaxLength, MAX_STRING_LENGTH: (1 << 29) - 24 },
    atob,
    btoa,
  };
}

export default function install(sandbox) {
  sandbox.defineModule('buffer', create);
  sandbox.defineGlobals('buffer', () => ({ Buffer: sandbox.require('buffer').Buffer }));
}
