/**
 * JSON with object keys sorted at every depth, so two equal values give the same text whatever order
 * their keys were written in. The control store keeps settings this way: "is $LATEST unchanged since
 * the newest version?" (Lambda's PublishVersion rule) is then a string comparison, in SQL or in code.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v);
  }
  return out;
}
