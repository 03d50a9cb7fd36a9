/**
 * The upload-time check of a code package: it is bundled with the edge node's own bundler
 * (src/runtime/bundle/bundle-function.ts), so a package that would fail to load at an edge node
 * (a module the sandbox lacks, an import that does not resolve inside the package, a handler file
 * that is not there, an unsafe zip) is refused at upload instead of at every location. A single
 * file that does not parse, which the bundler leaves to the isolate (Lambda reports it at
 * invocation), is refused here too: nothing is gained by publishing it. The package is written to a
 * private temporary directory, removed afterwards.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { transform, type TransformFailure } from 'esbuild';
import { CFF_MAX_CODE_BYTES } from '../config/cloudfront-functions-limits.ts';
import { ControlInvalidCodeError } from '../errors/control-plane-errors.ts';
import { VergeError } from '../errors/verge-error.ts';
import { bundleFunction } from '../runtime/bundle/bundle-function.ts';
import { buildErrorProblems } from '../runtime/bundle/module-check.ts';
import type { CodePackage } from './code-package.ts';
import type { FunctionSettings } from './control-store.ts';

const CFF_EXTENSIONS = ['.js', '.mjs', '.cjs'];

/** Resolves when `pkg` loads as a function with these settings. @throws ControlInvalidCodeError saying why not */
export async function checkCodeLoads(functionName: string, pkg: CodePackage, settings: Pick<FunctionSettings, 'runtime' | 'handler'>): Promise<void> {
  if (settings.runtime === 'cloudfront-js-2.0') {
    // cloudfront-functions-rules.ts: one JavaScript file of at most 10 KB, run as written.
    if (pkg.format !== 'file' || !CFF_EXTENSIONS.includes(path.extname(pkg.fileName).toLowerCase())) {
      throw new ControlInvalidCodeError(`A CloudFront Function is one ${CFF_EXTENSIONS.join(', ')} file, run as written (not bundled, transpiled or extracted); got ${pkg.fileName}`);
    }
    if (pkg.bytes.byteLength > CFF_MAX_CODE_BYTES) throw new ControlInvalidCodeError(`${pkg.bytes.byteLength} bytes exceeds the CloudFront Functions limit of ${CFF_MAX_CODE_BYTES} bytes (10 KB)`);
    await checkSyntax(pkg);
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'verge-upload-'));
  try {
    const codePath = path.join(dir, pkg.fileName);
    await writeFile(codePath, pkg.bytes);
    try {
      await bundleFunction({ name: functionName, codePath, handler: settings.handler, runtime: settings.runtime });
    } catch (err) {
      // The message names the temporary path; the user knows their package by its file name.
      if (err instanceof VergeError) throw new ControlInvalidCodeError(err.message.split(dir + path.sep).join(''), { cause: err.code });
      throw err;
    }
    if (pkg.format === 'file') await checkSyntax(pkg);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** esbuild parses the file as its extension says (a TypeScript file was already compiled by the bundler). */
async function checkSyntax(pkg: CodePackage): Promise<void> {
  const ext = path.extname(pkg.fileName).toLowerCase();
  if (!CFF_EXTENSIONS.includes(ext)) return;
  try {
    await transform(Buffer.from(pkg.bytes).toString('utf8'), { loader: 'js', sourcefile: pkg.fileName, logLevel: 'silent' });
  } catch (err) {
    const errors = (err as TransformFailure).errors;
    if (errors === undefined) throw err;
    throw new ControlInvalidCodeError(`The function could not be loaded: ${buildErrorProblems(errors).join('; ')}`);
  }
}
