/**
 * A directory tarball (`.tar.gz`, `.tgz`, `.tar`) repacked as a zip deployment package: edge nodes
 * take a single file or a zip (revision-document.ts `CodeRef.format`), and a zip is what Lambda
 * itself takes, so the control plane converts once at upload and stores only the zip. tar-stream
 * parses the archive; yazl writes the zip. Symlinks are kept as zip symlinks, so the bundler's zip
 * extraction (src/runtime/bundle/read-zip.ts) applies its own rule: a link must resolve inside the
 * package. Entries are taken relative to the archive's root (`tar czf fn.tgz -C dir .`).
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import { MAX_UNZIPPED_PACKAGE_BYTES } from '../runtime/bundle/read-zip.ts';

/** Thrown for an archive that cannot be repacked; the message names the entry. */
export class TarballError extends Error {}

const S_IFLNK = 0o120000;

/** The zip's bytes. @throws TarballError naming the entry at fault, or when the archive is not a tar. */
export async function tarballToZip(bytes: Uint8Array, gzipped: boolean, maxUnpackedBytes = MAX_UNZIPPED_PACKAGE_BYTES): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const extract = tar.extract();
  let source: NodeJS.ReadableStream = Readable.from([Buffer.from(bytes)]);
  if (gzipped) source = source.pipe(createGunzip());
  const failed = new Promise<never>((_, reject) => {
    source.on('error', (err: Error) => reject(new TarballError(`not a gzip archive: ${err.message}`)));
  });
  source.pipe(extract);
  let total = 0;
  let files = 0;
  const read = (async () => {
    for await (const entry of extract) {
      const { header } = entry;
      const name = entryName(header.name);
      if (header.type === 'directory' || name === '') {
        entry.resume();
        continue;
      }
      if (header.type === 'symlink') {
        const target = header.linkname ?? '';
        if (target.startsWith('/')) throw new TarballError(`tar entry ${JSON.stringify(header.name)} is a symlink to the absolute path ${JSON.stringify(target)}`);
        zip.addBuffer(Buffer.from(target), name, { mode: S_IFLNK | 0o777, compress: false });
        entry.resume();
        continue;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        throw new TarballError(`tar entry ${JSON.stringify(header.name)} is a ${header.type ?? 'special entry'}; a function package holds files, directories and symlinks`);
      }
      total += header.size ?? 0;
      if (total > maxUnpackedBytes) throw new TarballError(`the archive unpacks to more than ${maxUnpackedBytes} bytes (Lambda's unzipped package quota)`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      zip.addBuffer(Buffer.concat(chunks), name, { mode: 0o100644 | ((header.mode ?? 0o644) & 0o777) });
      files++;
    }
  })();
  try {
    await Promise.race([read, failed]);
  } catch (err) {
    extract.destroy();
    if (err instanceof TarballError) throw err;
    throw new TarballError(`not a readable tar archive: ${(err as Error).message}`);
  }
  if (files === 0) throw new TarballError('the archive holds no files');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The entry's path inside the package: `./a/b.js` → `a/b.js`; refuses absolute names and `..`. */
function entryName(raw: string): string {
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (raw.startsWith('/') || parts.includes('..')) throw new TarballError(`tar entry ${JSON.stringify(raw)} points outside the package`);
  return parts.join('/');
}
