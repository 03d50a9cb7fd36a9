/**
 * Extracts a Lambda deployment package (.zip) into a private directory so the bundler can read it like
 * a directory function. yauzl (the reader behind extract-zip and electron's tooling) is used because it
 * streams entries without loading the archive into memory, refuses absolute and `../` entry names
 * itself (zip-slip) and checks each entry's real size against the size declared in the central
 * directory (validateEntrySizes), so the declared sizes can be trusted for the zip-bomb cap below.
 */
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, realpath, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';

/**
 * Most a package may hold once extracted. Lambda's own quota for a deployment package "unzipped,
 * including layers" is 250 MB (Lambda Developer Guide, "Lambda quotas"); an archive that claims more is
 * a zip bomb as far as Verge is concerned.
 */
export const MAX_UNZIPPED_PACKAGE_BYTES = 250 * 1024 * 1024;

/** Unix file type bits in the upper half of externalFileAttributes (zip "version made by" = Unix). */
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** Thrown for an archive Verge will not extract; the message names the offending entry. */
export class ZipPackageError extends Error {}

/**
 * Extracts `zipPath` into the existing empty directory `dest`. Rejects entries outside `dest` (`../`,
 * absolute names, symlinks whose target leaves the package, entries written through a symlink an earlier
 * entry made), device files, and archives that would
 * extract to more than `maxBytes`.
 */
export async function extractZip(zipPath: string, dest: string, maxBytes = MAX_UNZIPPED_PACKAGE_BYTES): Promise<void> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw new ZipPackageError(`${path.basename(zipPath)} is not a readable zip archive: ${(err as Error).message}`);
  }
  try {
    const entries = await listEntries(zip);
    // The cap is checked on the declared sizes before anything is written; yauzl then fails any entry
    // whose data inflates past its declared size.
    const total = entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
    if (total > maxBytes) {
      throw new ZipPackageError(`${path.basename(zipPath)} would extract to ${total} bytes, more than the ${maxBytes} bytes allowed (Lambda's unzipped package quota)`);
    }
    const links: LinkRecord[] = [];
    for (const entry of entries) await extractEntry(zip, entry, dest, links);
    await checkLinksResolveInside(dest, links);
  } catch (err) {
    // e.g. yauzl's "too many bytes in the stream" when an entry inflates past its declared size.
    if (err instanceof ZipPackageError) throw err;
    throw new ZipPackageError(`${path.basename(zipPath)} could not be extracted: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
}

function listEntries(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    // yauzl reports `../` and absolute names here ("invalid relative path: ../x").
    zip.once('error', (err: Error) => reject(new ZipPackageError(`unsafe or corrupt zip entry: ${err.message}`)));
    zip.readEntry();
  });
}

async function extractEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, dest: string, links: LinkRecord[]): Promise<void> {
  const target = path.resolve(dest, entry.fileName);
  // yauzl already refused `..` and absolute names; this keeps the guarantee local and explicit.
  if (!isInside(dest, target)) throw new ZipPackageError(`zip entry ${JSON.stringify(entry.fileName)} points outside the package`);
  // A symlink written by an earlier entry would be followed by mkdir/open below, so a chain of links
  // that each look harmless on their own (x/y/z -> .., x/y/z/w -> ../..) could carry a later file out of
  // the package. No entry may go through, or land on, a symlink already extracted.
  await refuseSymlinkOnPath(dest, entry.fileName);
  const madeByUnix = entry.versionMadeBy >> 8 === 3;
  const type = madeByUnix ? (entry.externalFileAttributes >>> 16) & S_IFMT : 0;
  if (entry.fileName.endsWith('/') || type === S_IFDIR) {
    await mkdir(target, { recursive: true });
    return;
  }
  await mkdir(path.dirname(target), { recursive: true });
  const stream = await zip.openReadStreamPromise(entry);
  if (type === S_IFLNK) {
    const linkTarget = await readAll(stream);
    // The parent holds no symlink (checked above), so its lexical path is its real one.
    const resolved = path.resolve(path.dirname(target), linkTarget);
    if (!isInside(dest, resolved)) throw new ZipPackageError(`zip entry ${JSON.stringify(entry.fileName)} is a symlink to ${JSON.stringify(linkTarget)}, outside the package`);
    await symlink(linkTarget, target);
    links.push({ name: entry.fileName, target, linkTarget });
    return;
  }
  if (type !== 0 && type !== S_IFREG) throw new ZipPackageError(`zip entry ${JSON.stringify(entry.fileName)} is not a regular file, directory or symlink`);
  // 'wx' = O_CREAT|O_EXCL: fails if the name exists, and never follows a symlink in the last component
  // (open(2): "If pathname is a symbolic link, open fails regardless of where it points").
  await pipeline(stream, createWriteStream(target, { flags: 'wx' }));
}

interface LinkRecord {
  readonly name: string;
  readonly target: string;
  readonly linkTarget: string;
}

/** Refuses `name` if any of its components below `dest` (the last one included) is an existing symlink. */
async function refuseSymlinkOnPath(dest: string, name: string): Promise<void> {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  let current = dest;
  for (const [i, part] of parts.entries()) {
    current = path.join(current, part);
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing below a missing component exists yet
      throw err;
    }
    if (isLink) {
      const through = parts.slice(0, i + 1).join('/');
      throw new ZipPackageError(`zip entry ${JSON.stringify(name)} goes through the symlink ${JSON.stringify(through)} extracted before it; entries may not be written through symlinks`);
    }
  }
}

/**
 * A symlink target is checked lexically when it is written, but its own components may be symlinks
 * (`a -> p/c/..` where `p/c -> ..`), so once the whole package is on disk each link is resolved for real
 * and must land inside the package. A link that does not resolve (dangling or a loop) is refused too:
 * the bundler could not read it anyway, and where it would point is not known.
 */
async function checkLinksResolveInside(dest: string, links: readonly LinkRecord[]): Promise<void> {
  if (links.length === 0) return;
  const realDest = await realpath(dest);
  for (const link of links) {
    let real: string;
    try {
      real = await realpath(link.target);
    } catch (err) {
      throw new ZipPackageError(`zip entry ${JSON.stringify(link.name)} is a symlink to ${JSON.stringify(link.linkTarget)}, which does not resolve inside the package (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (!isInside(realDest, real)) throw new ZipPackageError(`zip entry ${JSON.stringify(link.name)} is a symlink to ${JSON.stringify(link.linkTarget)}, outside the package`);
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}
