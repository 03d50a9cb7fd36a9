/**
 * A function's code as `verge functions create|update-code --code PATH` sends it: a single file
 * or a package as it is (.js/.mjs/.cjs/.ts/.zip/.tar.gz …), or a directory zipped here (yazl), as
 * Lambda's console zips a folder. Symlinks are kept as zip symlinks: the control plane's upload
 * check refuses one that leads out of the package.
 */
import { readdirSync, readFileSync, readlinkSync, statSync, lstatSync } from 'node:fs';
import path from 'node:path';
import yazl from 'yazl';
import { CliError } from './control-client.ts';

export interface CodeFile {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  readonly contentType: string;
}

export async function readCodeFile(codePath: string): Promise<CodeFile> {
  const stats = statSync(codePath, { throwIfNoEntry: false });
  if (stats === undefined) throw new CliError(`--code ${codePath}: no such file or directory`, 2);
  if (!stats.isDirectory()) {
    const fileName = path.basename(codePath);
    return { bytes: readFileSync(codePath), fileName, contentType: contentTypeOf(fileName) };
  }
  const zip = new yazl.ZipFile();
  for (const entry of readdirSync(codePath, { recursive: true, withFileTypes: true })) {
    const absolute = path.join(entry.parentPath, entry.name);
    const name = path.relative(codePath, absolute).split(path.sep).join('/');
    const link = lstatSync(absolute);
    if (link.isSymbolicLink()) zip.addBuffer(Buffer.from(readlinkSync(absolute)), name, { mode: 0o120777, compress: false });
    else if (link.isFile()) zip.addBuffer(readFileSync(absolute), name, { mode: link.mode });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const base = path.basename(path.resolve(codePath)).replace(/[^A-Za-z0-9._-]/g, '_') || 'function';
  return { bytes: Buffer.concat(chunks), fileName: `${base}.zip`, contentType: 'application/zip' };
}

function contentTypeOf(fileName: string): string {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.zip')) return 'application/zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'application/gzip';
  if (lower.endsWith('.tar')) return 'application/x-tar';
  if (/\.(ts|mts|cts)$/.test(lower)) return 'application/typescript';
  return 'application/javascript';
}
