import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_NODE_MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/**
 * Writes a function package (a directory like a Lambda deployment package) into a fresh temp
 * directory: `files` maps relative paths to contents; `npm` lists packages copied from the repo's
 * node_modules into the package's own node_modules, as `npm install` would have put them there.
 */
export function functionPackage(files: Record<string, string | Buffer>, npm: readonly string[] = []): string {
  const root = mkdtempSync(join(tmpdir(), 'verge-pkg-'));
  writeTree(root, files);
  for (const name of npm) cpSync(join(REPO_NODE_MODULES, name), join(root, 'node_modules', name), { recursive: true });
  return root;
}

export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}
