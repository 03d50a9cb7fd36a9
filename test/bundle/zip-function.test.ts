import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { LambdaExecutionError } from '../../src/errors/function-errors.ts';
import { extractZip, ZipPackageError } from '../../src/runtime/bundle/read-zip.ts';

// A .zip is a Lambda deployment package: extracted (yauzl) into a private temp dir, bundled, removed.

const zipDir = mkdtempSync(join(tmpdir(), 'verge-zip-test-'));
let zipCounter = 0;

interface ZipEntry {
  readonly name: string;
  readonly content: string | Buffer;
  /** Unix mode with file type bits, e.g. 0o120777 for a symlink. */
  readonly mode?: number;
}

/** Writes a zip made with yazl and returns its path; `patch` rewrites the archive bytes afterwards. */
async function makeZip(entries: readonly ZipEntry[], patch?: (bytes: Buffer) => Buffer): Promise<string> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.from(e.content), e.name, e.mode === undefined ? {} : { mode: e.mode });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const file = join(zipDir, `pkg-${++zipCounter}.zip`);
  writeFileSync(file, patch ? patch(bytes) : bytes);
  return file;
}

/** Replaces every occurrence of `from` with `to` (same length): names appear in two headers per entry. */
const replaceAll = (from: string, to: string) => (bytes: Buffer): Buffer => {
  const out = Buffer.from(bytes);
  for (let i = out.indexOf(from); i !== -1; i = out.indexOf(from, i + 1)) out.write(to, i, 'latin1');
  return out;
};

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  const plain = await makeZip([
    { name: 'index.js', content: `const { greet } = require('./lib/greet.js');\nexports.handler = async () => ({ status: '200', body: greet('zip') });` },
    { name: 'lib/greet.js', content: `exports.greet = (who) => 'hello ' + who;` },
  ]);
  const typescript = await makeZip([
    { name: 'package.json', content: '{"name":"zip-ts","dependencies":{"tiny":"1.0.0"}}' },
    { name: 'src/main.ts', content: `import { tiny } from 'tiny';\nexport const run = async (): Promise<{ status: string; body: string }> => ({ status: '200', body: tiny() });` },
    { name: 'node_modules/tiny/package.json', content: '{"name":"tiny","main":"index.js"}' },
    { name: 'node_modules/tiny/index.js', content: `module.exports.tiny = () => 'tiny from node_modules';` },
  ]);
  const functions = [
    { name: 'zip-plain', code: plain },
    { name: 'zip-ts', code: typescript, handler: 'src/main.run' },
  ];
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions,
    behaviors: functions.map(({ name }) => ({ pathPattern: `/${name}`, originId: 'o', functions: { 'viewer-request': { name } } })),
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

test('a .zip package with a relative module is served', async () => {
  const res = await send(`${edge.url}/zip-plain`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('hello zip');
});

test('a .zip package with TypeScript, node_modules and a handler in a subdirectory is served', async () => {
  const res = await send(`${edge.url}/zip-ts`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('tiny from node_modules');
  // Stack traces name the file inside the archive; the watch fingerprint is the archive itself.
  const v = edge.node.registry.get('zip-ts');
  expect(v.filename.endsWith('.zip/src/main.ts')).toBe(true);
  expect(v.inputFiles).toHaveLength(1);
  expect(v.inputFiles[0]!.endsWith('.zip')).toBe(true);
});

async function loadError(code: string): Promise<LambdaExecutionError> {
  try {
    const e = await startEdge({
      origins: [{ id: 'o', url: origin.url }],
      functions: [{ name: 'bad-zip', code }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'origin-request': { name: 'bad-zip' } } }],
    });
    await e.close();
  } catch (err) {
    if (err instanceof LambdaExecutionError) return err;
    throw err;
  }
  throw new Error('the edge node started');
}

test('a zip with a ../ entry (zip-slip) is rejected at load and writes nothing outside', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'verge-slip-'));
  const name = `${outside.slice(outside.lastIndexOf('/') + 1)}`;
  // yazl refuses `..` itself, so the name is patched in after: same length, both headers.
  const zip = await makeZip(
    [
      { name: 'index.js', content: 'exports.handler = async () => ({ status: "200" });' },
      { name: `zz/zz/zz/zz/${name}/evil.js`, content: 'owned' },
    ],
    replaceAll(`zz/zz/zz/zz/${name}/evil.js`, `../../../../${name}/evil.js`),
  );
  const err = await loadError(zip);
  expect(err.code).toBe('VERGE_ERR_FUNCTION_LOAD');
  expect(err.message).toContain('invalid relative path: ../../../../');
  expect(readdirSync(outside)).toEqual([]);
});

test('a zip with an absolute entry name is rejected at load', async () => {
  const zip = await makeZip([{ name: 'xtmp/evil.js', content: 'owned' }], replaceAll('xtmp/evil.js', '/tmp/evil.js'));
  const err = await loadError(zip);
  expect(err.message).toContain('absolute path: /tmp/evil.js');
});

test('a zip with a symlink pointing outside the package is rejected at load', async () => {
  const zip = await makeZip([
    { name: 'index.js', content: `exports.handler = async () => ({ status: '200', body: require('./secret.js') });` },
    { name: 'secret.js', content: '../../../../etc/passwd', mode: 0o120777 },
  ]);
  const err = await loadError(zip);
  expect(err.message).toContain('zip entry "secret.js" is a symlink to "../../../../etc/passwd", outside the package');
});

test('a zip that would extract past the cap (a zip bomb) is rejected before anything is written', async () => {
  // 4 MB of zeros compresses to a few KB; with a 1 MB cap the declared sizes already fail.
  const zip = await makeZip([{ name: 'index.js', content: 'exports.handler = () => {};' }, { name: 'zeros.bin', content: Buffer.alloc(4 * 1024 * 1024) }]);
  const dest = mkdtempSync(join(tmpdir(), 'verge-bomb-'));
  await expect(extractZip(zip, dest, 1024 * 1024)).rejects.toThrow(ZipPackageError);
  await expect(extractZip(zip, dest, 1024 * 1024)).rejects.toThrow(/would extract to 4194\d+ bytes, more than the 1048576 bytes allowed/);
  expect(readdirSync(dest)).toEqual([]);
});

test('a file that is not a zip archive is rejected at load', async () => {
  const file = join(zipDir, 'not-a.zip');
  writeFileSync(file, 'this is not a zip');
  const err = await loadError(file);
  expect(err.message).toMatch(/not-a\.zip is not a readable zip archive/);
});

test('a zip whose later entries go through symlinks it made earlier (a symlink chain) is rejected and writes nothing outside', async () => {
  // x/y/z -> .. (really dest/x) and x/y/z/w -> ../.. each look inside the package on their own, but
  // followed through x/y/z the second one is the parent of the package, where pwned.txt would land.
  const root = mkdtempSync(join(tmpdir(), 'verge-chain-'));
  const dest = join(root, 'pkg');
  mkdirSync(dest);
  const zip = await makeZip([
    { name: 'index.js', content: 'exports.handler = async () => ({ status: "200" });' },
    { name: 'x/y/z', content: '..', mode: 0o120777 },
    { name: 'x/y/z/w', content: '../..', mode: 0o120777 },
    { name: 'x/y/z/w/pwned.txt', content: 'owned' },
  ]);
  await expect(extractZip(zip, dest)).rejects.toThrow('zip entry "x/y/z/w" goes through the symlink "x/y/z" extracted before it; entries may not be written through symlinks');
  expect(readdirSync(root)).toEqual(['pkg']);
  // Through the edge node the same package is a load error, not a crash.
  const err = await loadError(zip);
  expect(err.code).toBe('VERGE_ERR_FUNCTION_LOAD');
  expect(err.message).toContain('goes through the symlink "x/y/z"');
});

test('a zip directory entry that lands on a symlink it made earlier is rejected', async () => {
  const root = mkdtempSync(join(tmpdir(), 'verge-chain-'));
  const dest = join(root, 'pkg');
  mkdirSync(dest);
  const zip = await makeZip([
    { name: 'lib/index.js', content: 'module.exports = 1;' },
    { name: 'a/link', content: '../lib', mode: 0o120777 },
    { name: 'a/link', content: '', mode: 0o040755 },
  ]);
  await expect(extractZip(zip, dest)).rejects.toThrow('zip entry "a/link" goes through the symlink "a/link" extracted before it');
  expect(readdirSync(root)).toEqual(['pkg']);
});

test('a symlink whose target only leaves the package through another symlink is rejected', async () => {
  // p/q/c -> .. is p; a -> p/q/c/../.. is lexically p, really the package's parent.
  const root = mkdtempSync(join(tmpdir(), 'verge-chain-'));
  writeFileSync(join(root, 'secret.txt'), 'secret');
  const dest = join(root, 'pkg');
  mkdirSync(dest);
  const zip = await makeZip([
    { name: 'p/q/c', content: '..', mode: 0o120777 },
    { name: 'a', content: 'p/q/c/../..', mode: 0o120777 },
  ]);
  await expect(extractZip(zip, dest)).rejects.toThrow('zip entry "a" is a symlink to "p/q/c/../..", outside the package');
});

test('a symlink that stays inside the package is extracted and followed', async () => {
  const dest = mkdtempSync(join(tmpdir(), 'verge-link-ok-'));
  const zip = await makeZip([
    { name: 'lib/real.js', content: 'module.exports = 1;' },
    { name: 'alias.js', content: 'lib/real.js', mode: 0o120777 },
  ]);
  await extractZip(zip, dest);
  expect(readFileSync(join(dest, 'alias.js'), 'utf8')).toBe('module.exports = 1;');
});
