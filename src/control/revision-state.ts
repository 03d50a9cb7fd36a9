/**
 * The edge node's copy of its last applied revision (issue 5 §2: "keeps the last applied revision on
 * local disk and keeps serving it when the control plane is unreachable"), in its state directory:
 *
 *     DIR/revision.json                   the document, written after it applied
 *     DIR/code/<sha256>/<fileName>        every code file it names, verified against its sha256
 *
 * Every file is written to a temporary name in the same directory and renamed over its final name
 * (rename(2) is atomic within a file system), so a crash mid-write leaves the previous file or the new
 * one, never half of either. Code goes in before the document that names it, so a document on disk
 * always finds its code.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CodeIntegrityError } from '../errors/edge-errors.ts';
import { codeFilePath } from './revision-config.ts';
import { revisionDocumentSchema, type ResolvedFunction, type RevisionDocument } from './revision-document.ts';

export const REVISION_FILE = 'revision.json';

export function codeDirOf(stateDir: string): string {
  return path.join(stateDir, 'code');
}

/** Writes `data` to `file` through a temporary file and a rename. */
export async function writeAtomically(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The document last saved in stateDir, or undefined when there is none. A file that does not validate throws. */
export async function loadSavedRevision(stateDir: string): Promise<RevisionDocument | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, REVISION_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return revisionDocumentSchema.parse(JSON.parse(text));
}

export function saveRevision(stateDir: string, doc: RevisionDocument): Promise<void> {
  return writeAtomically(path.join(stateDir, REVISION_FILE), `${JSON.stringify(doc, null, 2)}\n`);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Stores one version's code after checking its bytes against the sha256 the document names.
 * @throws CodeIntegrityError VERGE_ERR_CODE_INTEGRITY when they differ (nothing is written)
 */
export async function storeCode(codeDir: string, fn: ResolvedFunction, bytes: Uint8Array): Promise<void> {
  const actual = sha256Hex(bytes);
  if (actual !== fn.code.sha256) throw new CodeIntegrityError(fn.code.sha256, actual, { function: fn.key });
  await writeAtomically(codeFilePath(codeDir, fn), bytes);
}

/**
 * The functions of `doc` whose code is not in codeDir, or is there with other bytes (a file changed
 * on disk is fetched again rather than trusted).
 */
export async function missingCode(codeDir: string, doc: RevisionDocument): Promise<ResolvedFunction[]> {
  const missing: ResolvedFunction[] = [];
  const checked = new Map<string, boolean>();
  for (const fn of doc.functions) {
    const file = codeFilePath(codeDir, fn);
    let ok = checked.get(file);
    if (ok === undefined) {
      ok = await readFile(file).then(
        (bytes) => sha256Hex(bytes) === fn.code.sha256,
        () => false,
      );
      checked.set(file, ok);
    }
    if (!ok) missing.push(fn);
  }
  return missing;
}

/** Removes code that none of `keep` names (the documents still in use). */
export async function pruneCode(codeDir: string, keep: readonly RevisionDocument[]): Promise<void> {
  const used = new Set(keep.flatMap((doc) => doc.functions.map((fn) => fn.code.sha256)));
  let entries: string[];
  try {
    entries = await readdir(codeDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (used.has(entry) || !/^[0-9a-f]{64}$/.test(entry)) continue;
    const full = path.join(codeDir, entry);
    if ((await stat(full)).isDirectory()) await rm(full, { recursive: true, force: true });
  }
}
