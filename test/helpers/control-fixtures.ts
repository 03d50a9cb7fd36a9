import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';

/** A zip of `files` (path → text), as `zip -r` would make a Lambda package. */
export async function zipOf(files: Record<string, string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, text] of Object.entries(files)) zip.addBuffer(Buffer.from(text), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A .tar.gz of `files`, as `tar czf fn.tgz -C dir .` makes it (entries named ./path). */
export async function tarGzOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, text] of Object.entries(files)) pack.entry({ name: `./${name}` }, text);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(pack).pipe(createGzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** A handler that passes the request on: the smallest valid function. */
export const PASS_THROUGH = 'export const handler = async (event) => event.Records[0].cf.request;\n';

/** A distribution config: `/api/*` without functions, then `*` with `associations`. */
export const siteConfig = (originUrl: string, associations: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  origins: [{ id: 'o', url: originUrl }],
  behaviors: [{ pathPattern: '/api/*', originId: 'o' }, { pathPattern: '*', originId: 'o', functions: associations }],
  ...more,
});
