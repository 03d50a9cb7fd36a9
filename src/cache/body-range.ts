import type { ByteRange } from './cache-store.ts';

/**
 * Checks a byte range against a body's length before a store slices it. The HTTP cache resolves a
 * Range header (RFC 9110 §14.1.2) against the stored length first, so an unsatisfiable range here is
 * a caller's bug: a RangeError, thrown at once rather than a short or empty body. An `end` past the
 * body is clamped to its last byte (RFC 9110 §14.1.2: "the last-pos is … less than the current
 * length … replaced with one less than the current length").
 */
export function resolveByteRange(range: ByteRange, bodySize: number): ByteRange {
  const { start } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(range.end) || start < 0 || start > range.end || start >= bodySize) {
    throw new RangeError(`Byte range ${start}-${range.end} cannot be served from a body of ${bodySize} bytes`);
  }
  return { start, end: Math.min(range.end, bodySize - 1) };
}
