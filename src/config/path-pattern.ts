/**
 * CloudFront cache-behavior path patterns: `*` matches zero or more characters (slashes included),
 * `?` matches exactly one, everything else is literal and case-sensitive, and the pattern must
 * match the whole URI path. Compiled once at the config boundary; the matcher runs per request.
 */

/** CloudFront rejects longer patterns. */
export const PATH_PATTERN_MAX_LENGTH = 255;

/** Characters CloudFront accepts in a path pattern: A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + ? & */
const ALLOWED_CHAR = /^[A-Za-z0-9_\-.*$/~"'@:+?&]$/;

/**
 * Why `pattern` is not a valid Verge path pattern, or undefined when it is. Stricter than
 * CloudFront on one point: the leading `/` is required (except for `*`) so the config reads the
 * way it matches.
 */
export function pathPatternProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'must not be empty';
  if (pattern.length > PATH_PATTERN_MAX_LENGTH) {
    return `is ${pattern.length} characters long; CloudFront allows at most ${PATH_PATTERN_MAX_LENGTH}`;
  }
  const bad = [...new Set([...pattern].filter((c) => !ALLOWED_CHAR.test(c)))];
  if (bad.length > 0) {
    return `contains ${bad.map((c) => JSON.stringify(c)).join(', ')}; CloudFront allows only A-Z a-z 0-9 _ - . * $ / ~ " ' @ : + ? &`;
  }
  if (pattern !== '*' && !pattern.startsWith('/')) {
    return `must start with "/" (write "/${pattern}") or be exactly "*"`;
  }
  return undefined;
}

const matchEverything = (): boolean => true;

/**
 * Compiles a path pattern into a predicate over the URI path (no query string).
 * @example compilePathPattern('/images/*.jpg')('/images/a/b.jpg') // true
 */
export function compilePathPattern(pattern: string): (uriPath: string) => boolean {
  // `**` matches exactly what `*` matches; collapsing keeps the segment list minimal.
  const collapsed = pattern.replace(/\*{2,}/g, '*');
  if (collapsed === '*') return matchEverything;
  // CloudFront treats `images/*` as `/images/*`.
  const normalized = collapsed.startsWith('/') ? collapsed : `/${collapsed}`;
  const segments = normalized.split('*');
  const hasAnyChar = normalized.includes('?');

  // Fast paths: plain string comparisons beat any RegExp for the common shapes.
  if (!hasAnyChar && segments.length === 1) return (uriPath) => uriPath === normalized;
  if (!hasAnyChar && segments.length === 2) {
    const [prefix, suffix] = segments as [string, string];
    if (suffix === '') return (uriPath) => uriPath.startsWith(prefix);
    const minLength = prefix.length + suffix.length;
    return (uriPath) => uriPath.length >= minLength && uriPath.startsWith(prefix) && uriPath.endsWith(suffix);
  }
  return segmentMatcher(segments);
}

/**
 * General case. Not a RegExp: `a*b*c` as a backtracking RegExp costs O(n^k) on hostile paths, while
 * taking the leftmost match of each middle segment is both correct for `*` and linear per segment.
 */
function segmentMatcher(segments: readonly string[]): (uriPath: string) => boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) return (uriPath) => uriPath.length === first.length && segmentAt(uriPath, first, 0);
  const last = segments[segments.length - 1] ?? '';
  const middles = segments.slice(1, -1).filter((s) => s !== '');
  const minLength = segments.reduce((sum, s) => sum + s.length, 0);
  return (uriPath) => {
    if (uriPath.length < minLength) return false;
    const end = uriPath.length - last.length;
    if (!segmentAt(uriPath, first, 0) || !segmentAt(uriPath, last, end)) return false;
    let from = first.length;
    for (const middle of middles) {
      const at = findSegment(uriPath, middle, from, end);
      if (at < 0) return false;
      from = at + middle.length;
    }
    return true;
  };
}

/** Whether `segment` (literal characters and `?`) matches `text` starting at `at`. */
function segmentAt(text: string, segment: string, at: number): boolean {
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c !== 63 /* ? */ && c !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost position in [from, end - segment.length] where `segment` matches, or -1. */
function findSegment(text: string, segment: string, from: number, end: number): number {
  if (!segment.includes('?')) {
    const at = text.indexOf(segment, from);
    return at >= 0 && at + segment.length <= end ? at : -1;
  }
  for (let at = from; at + segment.length <= end; at++) {
    if (segmentAt(text, segment, at)) return at;
  }
  return -1;
}
