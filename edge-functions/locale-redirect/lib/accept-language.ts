/**
 * Picks the supported locale the viewer prefers from an Accept-Language header (RFC 9110 §12.5.4):
 * language ranges with optional `;q=` weights, highest weight first, ties in header order. A range
 * matches a locale by its primary subtag (`de-AT` matches `de`); `*` matches the first supported one.
 */
export function bestLocale<L extends string>(header: string, supported: readonly L[]): L | undefined {
  const ranges = header
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/i.exec(p)).find((m) => m !== null);
      return { range: range.trim().toLowerCase(), weight: q ? Number(q[1]) : 1, index };
    })
    .filter((r) => r.range !== '' && r.weight > 0 && !Number.isNaN(r.weight))
    .sort((a, b) => b.weight - a.weight || a.index - b.index);
  for (const { range } of ranges) {
    if (range === '*') return supported[0];
    const primary = range.split('-')[0];
    const match = supported.find((l) => l === primary);
    if (match !== undefined) return match;
  }
  return undefined;
}
