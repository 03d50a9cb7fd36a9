/**
 * An uploaded function code package, as the admin API receives it (raw bytes, a file name and a
 * Content-Type), turned into what the store keeps and edge nodes load: a single `.js/.mjs/.cjs/.ts/
 * .mts/.cts` file, or a `.zip` deployment package. A directory tarball (`.tar.gz`, `.tgz`, `.tar`)
 * is repacked to a zip (tarball-to-zip.ts). The upload limit is Lambda's for a zipped deployment
 * package uploaded directly, 50 MB (Lambda Developer Guide, "Lambda quotas"; the Lambda@Edge quota
 * for origin events is the same); a package used at a viewer event must also fit 1 MB, which is
 * checked when a distribution revision associates it.
 */
import path from 'node:path';
import { ORIGIN_EVENT_MAX_PACKAGE_BYTES } from '../config/lambda-edge-limits.ts';
import { ControlInvalidCodeError } from '../errors/control-plane-errors.ts';
import { SINGLE_FILE_EXTENSIONS } from '../runtime/bundle/handler-name.ts';
import { TarballError, tarballToZip } from './tarball-to-zip.ts';

export const MAX_UPLOAD_BYTES = ORIGIN_EVENT_MAX_PACKAGE_BYTES;

export interface CodePackage {
  readonly bytes: Uint8Array;
  readonly format: 'file' | 'zip';
  /** What the edge node names the file (revision-document.ts `CodeRef.fileName`). */
  readonly fileName: string;
}

export interface CodeUpload {
  readonly bytes: Uint8Array;
  /** The uploaded file's name (`index.mjs`, `fn.zip`, `fn.tar.gz`); derived from contentType when absent. */
  readonly fileName?: string;
  /** `application/javascript`, `text/javascript`, `application/typescript`, `application/zip`, `application/gzip`, `application/x-tar`, or octet-stream. */
  readonly contentType?: string;
}

const FILE_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const DEFAULT_NAME_BY_TYPE: Readonly<Record<string, string>> = {
  'application/javascript': 'index.js',
  'text/javascript': 'index.js',
  'application/typescript': 'index.ts',
  'application/zip': 'function.zip',
  'application/x-zip-compressed': 'function.zip',
  'application/gzip': 'function.tar.gz',
  'application/x-gzip': 'function.tar.gz',
  'application/x-tar': 'function.tar',
};

/**
 * The package an upload becomes.
 * @throws ControlInvalidCodeError for an unknown kind of file, an empty or oversized upload, a zip
 *   that is not one, or a tarball that cannot be repacked
 */
export async function codePackageOf(upload: CodeUpload): Promise<CodePackage> {
  const mediaType = (upload.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const fileName = upload.fileName ?? DEFAULT_NAME_BY_TYPE[mediaType];
  if (fileName === undefined) throw new ControlInvalidCodeError(`Name the uploaded file (fileName) or send a Content-Type of ${Object.keys(DEFAULT_NAME_BY_TYPE).join(', ')} (got ${mediaType === '' ? 'none' : mediaType})`);
  if (!FILE_NAME.test(fileName)) throw new ControlInvalidCodeError(`The file name ${JSON.stringify(fileName)} must be 1-128 characters from A-Z a-z 0-9 . _ - (a base name, no directories)`);
  const { bytes } = upload;
  if (bytes.byteLength === 0) throw new ControlInvalidCodeError('The code package is empty');
  if (bytes.byteLength > MAX_UPLOAD_BYTES) throw new ControlInvalidCodeError(`The code package is ${bytes.byteLength} bytes, over the ${MAX_UPLOAD_BYTES} bytes (50 MB) of a zipped deployment package`);
  const lower = fileName.toLowerCase();
  const ext = path.extname(lower);
  if (SINGLE_FILE_EXTENSIONS.includes(ext)) return { bytes, format: 'file', fileName };
  if (ext === '.zip') {
    // Local file header signature (APPNOTE.TXT 4.3.7); the bundler's extraction checks the rest.
    if (!(bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04)) throw new ControlInvalidCodeError(`${fileName} is not a zip archive`);
    return { bytes, format: 'zip', fileName };
  }
  const tarball = /\.(tar\.gz|tgz|tar)$/.exec(lower);
  if (tarball !== null) {
    let zip: Buffer;
    try {
      zip = await tarballToZip(bytes, tarball[1] !== 'tar');
    } catch (err) {
      if (err instanceof TarballError) throw new ControlInvalidCodeError(`${fileName}: ${err.message}`);
      throw err;
    }
    if (zip.byteLength > MAX_UPLOAD_BYTES) throw new ControlInvalidCodeError(`${fileName} repacked as a zip is ${zip.byteLength} bytes, over the ${MAX_UPLOAD_BYTES} bytes (50 MB) of a zipped deployment package`);
    return { bytes: zip, format: 'zip', fileName: `${fileName.slice(0, fileName.length - tarball[0].length)}.zip` };
  }
  throw new ControlInvalidCodeError(`${fileName}: a function's code is a ${SINGLE_FILE_EXTENSIONS.join(', ')} file, a .zip package or a directory tarball (.tar.gz, .tgz, .tar)`);
}
