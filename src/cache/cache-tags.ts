/**
 * Purge tags a response carries: `Cache-Tag` (Cloudflare: comma-separated) and `Surrogate-Key`
 * (Fastly: space-separated). `verge invalidate --tag` and the admin endpoint purge every entry
 * carrying one of them.
 */
import type { RawHeaders } from './variant-key.ts';

/** The tags, each once, in the order first seen. Tags are case-sensitive (Cloudflare and Fastly both). */
export function cacheTags(headers: RawHeaders): string[] {
  const tags = new Set<string>();
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!.toLowerCase();
    const separator = name === 'cache-tag' ? ',' : name === 'surrogate-key' ? /\s+/ : undefined;
    if (separator === undefined) continue;
    for (const tag of headers[i + 1]!.split(separator)) {
      const trimmed = tag.trim();
      if (trimmed !== '') tags.add(trimmed);
    }
  }
  return [...tags];
}
