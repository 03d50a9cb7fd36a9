/**
 * The size Lambda@Edge would count for a function package. CloudFront's "Quotas on Lambda@Edge" cap
 * the "maximum compressed size of a Lambda function and any included libraries": 1 MB for functions
 * associated with viewer events, 50 MB for origin events. Verge measures:
 * - a .zip: its file size (it is the compressed package);
 * - a single file: its file size (a zip of one file is about as large or smaller, so this is cautious);
 * - a directory: the size of the zip it would make. Adding up its file sizes is an upper bound, so the
 *   deflate pass (the method `zip` and Lambda's console use) runs only when that sum is over the limit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';

/** A zip stores each file twice in headers: local header (30 bytes) and central directory entry (46 bytes), plus the name in each. */
const ZIP_ENTRY_OVERHEAD_BYTES = 30 + 46;
const ZIP_END_RECORD_BYTES = 22;

/**
 * Compressed package size of `codePath`, exact enough to compare with `limitBytes`: a directory under
 * the limit uncompressed returns its uncompressed size without compressing anything.
 */
export function packageSizeBytes(codePath: string, limitBytes: number): number {
  const stats = statSync(codePath);
  if (!stats.isDirectory()) return stats.size;
  const files = listFiles(codePath);
  const raw = files.reduce((sum, f) => sum + f.size + ZIP_ENTRY_OVERHEAD_BYTES + 2 * f.name.length, ZIP_END_RECORD_BYTES);
  if (raw <= limitBytes) return raw;
  let zipped = ZIP_END_RECORD_BYTES;
  for (const f of files) {
    // A zip stores a file uncompressed when deflate would not make it smaller.
    const stored = Math.min(f.size, deflateRawSync(readFileSync(f.absolute)).length);
    zipped += stored + ZIP_ENTRY_OVERHEAD_BYTES + 2 * f.name.length;
    if (zipped > limitBytes) break; // over is over: no need to compress the rest
  }
  return zipped;
}

interface PackageFile {
  readonly name: string;
  readonly absolute: string;
  readonly size: number;
}

/** Regular files under `root`, recursively (a symlink to a file counts as the file; linked directories are not walked). */
function listFiles(root: string): PackageFile[] {
  const out: PackageFile[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const stats = statSync(absolute, { throwIfNoEntry: false });
    if (stats?.isFile()) out.push({ name: path.relative(root, absolute), absolute, size: stats.size });
  }
  return out;
}
