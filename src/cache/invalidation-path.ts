/**
 * CloudFront's invalidation paths, as both stores match them: an exact URI path, or a prefix when the
 * path ends in `*` (`/images/*`, `/*`). CloudFront allows `*` only as the last character; anywhere
 * else it is an ordinary character, as are `%`, `_`, `?` and `[` (no other wildcard exists).
 */
export type InvalidationPath =
  | { readonly kind: 'exact'; readonly path: string }
  | { readonly kind: 'prefix'; readonly prefix: string };

export function parseInvalidationPath(pattern: string): InvalidationPath {
  return pattern.endsWith('*') ? { kind: 'prefix', prefix: pattern.slice(0, -1) } : { kind: 'exact', path: pattern };
}

export function matchesInvalidationPath(path: string, pattern: InvalidationPath): boolean {
  return pattern.kind === 'exact' ? path === pattern.path : path.startsWith(pattern.prefix);
}

/**
 * The least string greater than every string that starts with `prefix`, in code-point order (which
 * is UTF-8 byte order, SQLite's BINARY collation): the prefix with its last code point incremented.
 * `path >= prefix AND path < upper` then selects exactly the paths with that prefix through an index,
 * with no LIKE pattern to escape. Undefined when there is no upper bound (empty prefix, or only
 * U+10FFFF code points).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (codePoints.length > 0) {
    let last = codePoints.pop()!;
    if (last < 0x10ffff) {
      last += 1;
      // Surrogate code points are not characters: step over them (U+D7FF is followed by U+E000).
      if (last >= 0xd800 && last <= 0xdfff) last = 0xe000;
      return String.fromCodePoint(...codePoints, last);
    }
  }
  return undefined;
}
