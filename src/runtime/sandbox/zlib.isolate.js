// Runs INSIDE the isolate. Node's `zlib` module, one-shot forms: gzip/gunzip, deflate/inflate (zlib
// and raw), unzip, brotliCompress/brotliDecompress, each as `…Sync(buffer, options)` and as
// `…(buffer, [options], callback)`. The work runs in the host's zlib through the sandbox's private
// host call, with the output capped by the function's memory (host-bridge.ts): a decompression bomb
// throws a RangeError in this invocation instead of filling the node's memory. Streams are not offered.

const OPS = ['gzip', 'gunzip', 'deflate', 'inflate', 'deflateRaw', 'inflateRaw', 'unzip', 'brotliCompress', 'brotliDecompress'];

// Node's zlib.constants (the values are zlib's and brotli's own; see zlib.h and brotli/encode.h).
const constants = {
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2,
  BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2,
  BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11,
  BROTLI_PARAM_LGWIN: 2, BROTLI_PARAM_LGBLOCK: 3, BROTLI_PARAM_SIZE_HINT: 5,
};

function create(sandbox) {
  const { Buffer } = sandbox.require('buffer');
  const input = (data) => {
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const err = new TypeError('The "buffer" argument must be of type string or an instance of Buffer, TypedArray, DataView, or ArrayBuffer.');
    err.code = 'ERR_INVALID_ARG_TYPE';
    throw err;
  };
  const options = (o) => {
    if (o === null || typeof o !== 'object') return undefined;
    // Only numbers cross to the host (host-bridge.ts copies these fields and nothing else).
    const out = {};
    for (const k of ['level', 'windowBits', 'memLevel', 'strategy', 'chunkSize']) if (typeof o[k] === 'number') out[k] = o[k];
    if (o.params !== null && typeof o.params === 'object') {
      out.params = {};
      for (const k of Object.keys(o.params)) if (typeof o.params[k] === 'number') out.params[k] = o.params[k];
    }
    return out;
  };
  const zlib = { constants };
  for (const op of OPS) {
    const sync = (data, opts) => Buffer.from(sandbox.host('zlib', op, Uint8Array.from(input(data)), options(opts)));
    zlib[op + 'Sync'] = sync;
    zlib[op] = (data, opts, callback) => {
      if (typeof opts === 'function') {
        callback = opts;
        opts = undefined;
      }
      if (typeof callback !== 'function') {
        const err = new TypeError('The "callback" argument must be of type function');
        err.code = 'ERR_INVALID_ARG_TYPE';
        throw err;
      }
      // Node answers on a later turn, never synchronously; so do we (the work itself is synchronous).
      let result;
      let error = null;
      try {
        result = sync(data, opts);
      } catch (err) {
        error = err;
      }
      Promise.resolve().then(() => (error === null ? callback(null, result) : callback(error)));
    };
  }
  return zlib;
}

export default function install(sandbox) {
  sandbox.defineModule('zlib', () => create(sandbox));
}
