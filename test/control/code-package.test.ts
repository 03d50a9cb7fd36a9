import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';
import { describe, expect, test } from 'vitest';
import { codePackageOf } from '../../src/control/code-package.ts';
import { VergeError } from '../../src/errors/verge-error.ts';
import { tarGzOf } from '../helpers/control-fixtures.ts';

// Uploads become what edge nodes load: a single file or a zip; tarballs are repacked.

async function tarGzEntries(entries: { header: Partial<tar.Header> & { name: string }; body?: string }[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) pack.entry(e.header, e.body ?? '');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(pack).pipe(createGzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function zipNames(bytes: Uint8Array): Promise<string[]> {
  const zip = await yauzl.fromBufferPromise(Buffer.from(bytes), { lazyEntries: true });
  const names: string[] = [];
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (e: yauzl.Entry) => {
      names.push(e.fileName);
      zip.readEntry();
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return names.sort();
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(VergeError);
  expect((err as VergeError).code).toBe('VERGE_ERR_CONTROL_INVALID_CODE');
  return (err as Error).message;
}

describe('code packages', () => {
  test('a tarball keeps its files and directories relative to its root, as a zip', async () => {
    const pkg = await codePackageOf({ bytes: await tarGzOf({ 'index.js': 'x', 'lib/a.js': 'y' }), contentType: 'application/gzip' });
    expect(pkg).toMatchObject({ format: 'zip', fileName: 'function.zip' });
    expect(await zipNames(pkg.bytes)).toEqual(['index.js', 'lib/a.js']);
  });

  test('a tarball entry outside the package, a device or a hard link is refused, naming it', async () => {
    expect(await refusal(codePackageOf({ bytes: await tarGzEntries([{ header: { name: '../evil.js' }, body: 'x' }]), fileName: 'p.tgz' }))).toMatch(/"\.\.\/evil\.js" points outside the package/);
    expect(await refusal(codePackageOf({ bytes: await tarGzEntries([{ header: { name: 'dev', type: 'character-device' } }]), fileName: 'p.tgz' }))).toMatch(/is a character-device/);
    expect(await refusal(codePackageOf({ bytes: await tarGzEntries([{ header: { name: 'abs', type: 'symlink', linkname: '/etc/passwd' } }]), fileName: 'p.tgz' }))).toMatch(/absolute path/);
    expect(await refusal(codePackageOf({ bytes: Buffer.from('not gzip at all'), fileName: 'p.tar.gz' }))).toMatch(/not a gzip archive|not a readable tar/);
    expect(await refusal(codePackageOf({ bytes: await tarGzEntries([{ header: { name: 'dir/', type: 'directory' } }]), fileName: 'p.tgz' }))).toMatch(/holds no files/);
  });

  test('the upload limit is 50 MB; names and types are checked', async () => {
    expect(await refusal(codePackageOf({ bytes: new Uint8Array(50 * 1024 * 1024 + 1), fileName: 'big.js' }))).toMatch(/over the 52428800 bytes/);
    expect(await refusal(codePackageOf({ bytes: Buffer.from('x'), fileName: '../index.js' }))).toMatch(/must be 1-128 characters/);
    expect(await refusal(codePackageOf({ bytes: Buffer.from(''), fileName: 'index.js' }))).toMatch(/empty/);
    expect(await refusal(codePackageOf({ bytes: Buffer.from('x') }))).toMatch(/Name the uploaded file/);
    expect(await codePackageOf({ bytes: Buffer.from('x'), contentType: 'application/javascript; charset=utf-8' })).toMatchObject({ format: 'file', fileName: 'index.js' });
  });
});
