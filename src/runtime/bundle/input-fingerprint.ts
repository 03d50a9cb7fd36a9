/**
 * The content hash of the files a bundle was made from: the cache key of a function's bundle. With
 * --watch, a change event re-hashes only these files (a few small reads) and bundles again only when
 * the hash differs, so saving an unrelated file, or a burst of events from `npm install`, costs no
 * rebuild.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** sha256 over each file's path and bytes, in the given order; a missing file hashes as such. */
export async function fingerprintFiles(files: readonly string[], extra: string): Promise<string> {
  const hash = createHash('sha256').update(extra);
  for (const file of files) {
    hash.update(`\0${file}\0`);
    try {
      hash.update(await readFile(file));
    } catch {
      hash.update('\0missing');
    }
  }
  return hash.digest('hex');
}
