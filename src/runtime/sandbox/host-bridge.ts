import { createHash, createHmac, getHashes, randomBytes } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';
import * as zlib from 'node:zlib';
import ivm from 'isolated-vm';

/**
 * The host's native code that sandbox units may call (hashing, random bytes, compression): ONE sync
 * ivm.Callback per isolate, `hostCall(op, a, b, c)`. isolated-vm copies its arguments and its result
 * (ExternalCopy rules: strings, numbers, typed arrays), so no host object or prototype crosses.
 * registry.isolate.js keeps the callback in a closure and gives it to sandbox units only.
 *
 * Every op checks its arguments' types (user code can reach these only through our units, but the
 * units run in the same isolate as user code, so their arguments are treated as untrusted) and never
 * throws: it answers [0, value] or [1, message, code?]. A host exception copied into the isolate would
 * carry the host's stack (file paths) with it.
 *
 * Outputs are capped: a decompression bomb stops at `maxOutputBytes` (a share of the function's
 * memoryMb) and costs one request, not the node. The call is synchronous, inside the isolate's own
 * call, so its wall-clock time counts towards the invocation's timeout like any JavaScript it runs.
 */
export type HostOp = 'random' | 'hash' | 'hmac' | 'zlib' | 'domainToASCII' | 'domainToUnicode';

type HostAnswer = readonly [0, unknown] | readonly [1, string, string?];

/** WebCrypto's getRandomValues quota (W3C WebCrypto §10.1.1); randomBytes asks in chunks of it. */
const MAX_RANDOM_BYTES = 65536;
/** Longer than any host a URL can carry in practice; bounds the host's work per call. */
const MAX_DOMAIN_CHARS = 4096;
const HASHES = new Set(getHashes().map((h) => h.toLowerCase()));

/** The zlib entry points units may call, by name; all synchronous, with a capped output. */
const ZLIB_OPS: Readonly<Record<string, (buf: Uint8Array, options: zlib.ZlibOptions & zlib.BrotliOptions) => Buffer>> = {
  gzip: zlib.gzipSync,
  gunzip: zlib.gunzipSync,
  deflate: zlib.deflateSync,
  inflate: zlib.inflateSync,
  deflateRaw: zlib.deflateRawSync,
  inflateRaw: zlib.inflateRawSync,
  unzip: zlib.unzipSync,
  brotliCompress: zlib.brotliCompressSync,
  brotliDecompress: zlib.brotliDecompressSync,
};

/**
 * Compression runs on the node's main thread (a sync callback) and cannot be interrupted by the
 * invocation's timeout, so its input is bounded by what it costs: gzip/deflate at ~50 MB/s take
 * ~0.2 s for 8 MB; brotli at its default quality 11 manages ~1 MB/s, so above quality 9 it takes at
 * most 1 MB, the largest body a Lambda@Edge function may generate (origin events; 40 KB at viewer events).
 */
const MAX_COMPRESS_INPUT_BYTES = 8 * 1024 * 1024;
const MAX_SLOW_BROTLI_INPUT_BYTES = 1024 * 1024;
const COMPRESSING = new Set(['gzip', 'deflate', 'deflateRaw', 'brotliCompress']);

export interface HostBridgeLimits {
  /** Largest output one call may produce (zlib), in bytes. */
  readonly maxOutputBytes: number;
}

/** The output cap for a function with `memoryMb`: a quarter of its heap, since the isolate copies the result in. */
/** The most one zlib call may produce whatever memoryMb: it runs synchronously on the node's main thread. */
export const MAX_ZLIB_OUTPUT_BYTES = 16 * 1024 * 1024;

export function hostBridgeLimits(memoryMb: number): HostBridgeLimits {
  return { maxOutputBytes: Math.min(MAX_ZLIB_OUTPUT_BYTES, Math.max(1, Math.floor(memoryMb / 4)) * 1024 * 1024) };
}

export function createHostBridge(limits: HostBridgeLimits): ivm.Callback {
  return new ivm.Callback((op: unknown, a: unknown, b: unknown, c: unknown): HostAnswer => {
    try {
      return dispatch(op, a, b, c, limits);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      return [1, err instanceof Error ? err.message : 'host call failed', typeof code === 'string' ? code : undefined];
    }
  });
}

function dispatch(op: unknown, a: unknown, b: unknown, c: unknown, limits: HostBridgeLimits): HostAnswer {
  switch (op) {
    case 'random': {
      const n = Number(a);
      if (!Number.isInteger(n) || n < 0 || n > MAX_RANDOM_BYTES) return [1, `random: byte length must be an integer from 0 to ${MAX_RANDOM_BYTES}`];
      return [0, new Uint8Array(randomBytes(n))];
    }
    case 'hash': {
      const alg = algorithm(a);
      if (alg === undefined) return [1, `Digest method not supported: ${String(a)}`, 'ERR_CRYPTO_INVALID_DIGEST'];
      return [0, new Uint8Array(createHash(alg).update(bytes(b, 'data')).digest())];
    }
    case 'hmac': {
      const alg = algorithm(a);
      if (alg === undefined) return [1, `Invalid digest: ${String(a)}`, 'ERR_CRYPTO_INVALID_DIGEST'];
      return [0, new Uint8Array(createHmac(alg, bytes(b, 'key')).update(bytes(c, 'data')).digest())];
    }
    case 'zlib': {
      const fn = typeof a === 'string' && Object.hasOwn(ZLIB_OPS, a) ? ZLIB_OPS[a] : undefined;
      if (fn === undefined) return [1, `zlib: unknown operation ${String(a)}`];
      const input = bytes(b, 'buffer');
      const options = zlibOptions(c);
      const tooLarge = compressionInputLimit(a as string, options);
      if (input.byteLength > tooLarge) {
        return [1, `zlib.${String(a)}: input of ${input.byteLength} bytes is over the sandbox's limit of ${tooLarge} bytes for this operation`, 'ERR_BUFFER_TOO_LARGE'];
      }
      const out = fn(input, { ...options, maxOutputLength: limits.maxOutputBytes });
      return [0, new Uint8Array(out.buffer, out.byteOffset, out.byteLength)];
    }
    case 'domainToASCII':
      // UTS #46 as the URL Standard uses it (Node's implementation: ada); '' when the domain is invalid.
      return typeof a === 'string' && a.length <= MAX_DOMAIN_CHARS ? [0, domainToASCII(a)] : [0, ''];
    case 'domainToUnicode':
      return typeof a === 'string' && a.length <= MAX_DOMAIN_CHARS ? [0, domainToUnicode(a)] : [0, ''];
    default:
      return [1, `unknown host operation ${String(op)}`];
  }
}

function compressionInputLimit(op: string, options: zlib.ZlibOptions & zlib.BrotliOptions): number {
  if (!COMPRESSING.has(op)) return Infinity;
  if (op !== 'brotliCompress') return MAX_COMPRESS_INPUT_BYTES;
  const quality = options.params?.[zlib.constants.BROTLI_PARAM_QUALITY] ?? zlib.constants.BROTLI_DEFAULT_QUALITY;
  return typeof quality === 'number' && quality <= 9 ? MAX_COMPRESS_INPUT_BYTES : MAX_SLOW_BROTLI_INPUT_BYTES;
}

function algorithm(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const lower = name.toLowerCase();
  return HASHES.has(lower) ? lower : undefined;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new TypeError(`${what} must be bytes`);
}

/**
 * Only numeric tuning options cross (level, windowBits, strategy; brotli params by number): nothing
 * callable. `chunkSize` and `memLevel` stay at zlib's defaults: a tiny chunkSize (64 bytes) makes a
 * call that runs on the node's main thread loop millions of times for a few megabytes of output.
 */
function zlibOptions(v: unknown): zlib.ZlibOptions & zlib.BrotliOptions {
  if (v === null || typeof v !== 'object') return {};
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of ['level', 'windowBits', 'strategy']) if (typeof o[k] === 'number') out[k] = o[k];
  if (o.params !== null && typeof o.params === 'object') {
    const params: Record<number, number> = {};
    for (const [k, val] of Object.entries(o.params as Record<string, unknown>)) if (/^\d+$/.test(k) && typeof val === 'number') params[Number(k)] = val;
    out.params = params;
  }
  return out as zlib.ZlibOptions & zlib.BrotliOptions;
}
