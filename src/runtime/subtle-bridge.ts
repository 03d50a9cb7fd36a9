import { webcrypto } from 'node:crypto';
import { exactBuffer, opFailure, type OpOutcome } from './op-outcome.ts';

type HostKey = webcrypto.CryptoKey;

/** Node's CryptoKey class (a global in Node 24). */
const CryptoKeyClass = globalThis.CryptoKey as unknown as abstract new () => HostKey;

const METHODS = new Set(['encrypt', 'decrypt', 'sign', 'verify', 'digest', 'generateKey', 'deriveKey', 'deriveBits', 'importKey', 'exportKey', 'wrapKey', 'unwrapKey']);

/** Keys one isolate holds, by handle. Generous: a function imports a few keys, not thousands. */
const MAX_KEYS_PER_ISOLATE = 10_000;

/**
 * The key material behind an isolate's CryptoKey handles. It lives as long as the isolate, so a key
 * imported once (and kept in a module-level variable) serves every later invocation, as in Lambda.
 */
export class KeyTable {
  private readonly keys = new Map<number, HostKey>();
  private nextHandle = 1;

  add(key: HostKey): number {
    if (this.keys.size >= MAX_KEYS_PER_ISOLATE) throw new DOMException(`A function may hold at most ${MAX_KEYS_PER_ISOLATE} CryptoKeys`, 'QuotaExceededError');
    const handle = this.nextHandle++;
    this.keys.set(handle, key);
    return handle;
  }

  get(handle: unknown): HostKey {
    const key = typeof handle === 'number' ? this.keys.get(handle) : undefined;
    if (key === undefined) throw new TypeError('crypto.subtle: the CryptoKey does not belong to this function');
    return key;
  }
}

/**
 * Performs one crypto.subtle call from the isolate (sandbox/subtle.isolate.js) with Node's WebCrypto.
 * Arguments arrive as JSON with {$b: i} for byte arguments (bins[i]) and {$k: handle} for keys; WebCrypto
 * itself checks algorithms, usages and extractability, and its errors go back by name.
 */
export async function performSubtle(args: unknown, bins: readonly Buffer[], keys: KeyTable): Promise<OpOutcome> {
  if (args === null || typeof args !== 'object') return opFailure('TypeError', 'crypto.subtle: malformed call');
  const { m, a } = args as { m: unknown; a: unknown };
  if (typeof m !== 'string' || !METHODS.has(m) || !Array.isArray(a)) return opFailure('TypeError', 'crypto.subtle: malformed call');
  try {
    const decoded = a.map((v) => decode(v, bins, keys));
    const refused = outsideLimits(m, decoded);
    if (refused !== undefined) return opFailure('NotSupportedError', refused);
    const fn = (webcrypto.subtle as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>)[m]!;
    const result = await fn.apply(webcrypto.subtle, decoded);
    if (result instanceof ArrayBuffer) return { ok: true, json: '{"$ab":true}', bytes: result.slice(0) };
    return { ok: true, json: JSON.stringify(encode(result, keys)) };
  } catch (err) {
    if (err instanceof Error) return opFailure(err.name, err.message);
    return opFailure('OperationError', String(err));
  }
}

/**
 * WebCrypto's slow jobs run on libuv's thread pool and cannot be aborted, so one that outlives its
 * invocation would keep a pool thread busy: refuse the ones no edge function needs (Cloudflare Workers
 * caps PBKDF2 at 100,000 iterations; RSA keys past 8192 bits take seconds to generate).
 */
const MAX_PBKDF2_ITERATIONS = 1_000_000;
const MAX_RSA_MODULUS_BITS = 8192;
/**
 * The most bits deriveBits (and an HMAC deriveKey) may produce: PBKDF2 and HKDF output can be asked
 * for in any length, and PBKDF2 repeats all its iterations per 32-byte block. 512 bytes is far more
 * than any key or token an edge function derives.
 */
export const MAX_DERIVED_BITS = 512 * 8;

function outsideLimits(method: string, args: readonly unknown[]): string | undefined {
  if (method === 'deriveBits' && typeof args[2] === 'number' && args[2] > MAX_DERIVED_BITS) {
    return `crypto.subtle: deriveBits of more than ${MAX_DERIVED_BITS} bits is not supported in Verge`;
  }
  if (method === 'deriveKey') {
    const derived = args[2] as { length?: unknown } | null | undefined;
    if (derived !== null && typeof derived === 'object' && typeof derived.length === 'number' && derived.length > MAX_DERIVED_BITS) {
      return `crypto.subtle: deriveKey of more than ${MAX_DERIVED_BITS} bits is not supported in Verge`;
    }
  }
  for (const arg of args) {
    if (arg === null || typeof arg !== 'object') continue;
    const alg = arg as { name?: unknown; iterations?: unknown; modulusLength?: unknown };
    if (typeof alg.iterations === 'number' && alg.iterations > MAX_PBKDF2_ITERATIONS) {
      return `crypto.subtle: PBKDF2 with more than ${MAX_PBKDF2_ITERATIONS} iterations is not supported in Verge`;
    }
    if (typeof alg.modulusLength === 'number' && alg.modulusLength > MAX_RSA_MODULUS_BITS) {
      return `crypto.subtle: RSA keys larger than ${MAX_RSA_MODULUS_BITS} bits are not supported in Verge`;
    }
  }
  return undefined;
}

function decode(v: unknown, bins: readonly Buffer[], keys: KeyTable): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => decode(x, bins, keys));
  const o = v as Record<string, unknown>;
  if ('$b' in o) {
    const bytes = typeof o.$b === 'number' ? bins[o.$b] : undefined;
    if (bytes === undefined) throw new TypeError('crypto.subtle: malformed call');
    return new Uint8Array(exactBuffer(bytes));
  }
  if ('$k' in o) return keys.get(o.$k);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = decode(x, bins, keys);
  return out;
}

/** Results → JSON: keys become handles with their public facts, small byte arrays become {$u8}. */
function encode(v: unknown, keys: KeyTable): unknown {
  if (v instanceof CryptoKeyClass) {
    return { $key: { h: keys.add(v), type: v.type, extractable: v.extractable, algorithm: encode(v.algorithm, keys), usages: v.usages } };
  }
  if (v instanceof Uint8Array) return { $u8: Array.from(v) };
  if (v instanceof ArrayBuffer) return { $u8: Array.from(new Uint8Array(v)) };
  if (Array.isArray(v)) return v.map((x) => encode(x, keys));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = encode(x, keys);
    return out;
  }
  return v;
}
