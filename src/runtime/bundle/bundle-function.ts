/**
 * Turns a function's `code` (a single file, a directory with package.json and node_modules, or a .zip
 * deployment package) into the one script an isolate loads, and runs the load-time module check on it.
 *
 * esbuild runs in its own service process, so bundling never blocks the node's request thread; it runs
 * when the config loads and when --watch sees a change, before the new version is swapped in.
 * Output is CommonJS for Node (`platform: node`): the isolate loader runs CommonJS with the sandbox's
 * `require` for the built-in modules, and esbuild converts ESM-only dependencies (like `cookie` 2) to it.
 * Built-in modules stay external (`require('crypto')`) for the sandbox to provide.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build, type BuildFailure, type BuildOptions, type Metafile } from 'esbuild';
import { LambdaExecutionError } from '../../errors/function-errors.ts';
import type { FunctionRuntime } from '../../config/types.ts';
import { HANDLER_EXTENSIONS, parseHandler, type HandlerName } from './handler-name.ts';
import { fingerprintFiles } from './input-fingerprint.ts';
import { buildErrorProblems, isSyntaxOnly, moduleProblems } from './module-check.ts';
import { extractZip, ZipPackageError } from './read-zip.ts';

export interface FunctionSource {
  readonly name: string;
  /** Absolute path of the file, directory or .zip. */
  readonly codePath: string;
  /** Lambda's `file.export`. */
  readonly handler: string;
  readonly runtime?: FunctionRuntime;
}

export interface FunctionBundle {
  /** The script the isolate loads. */
  readonly code: string;
  /** The handler file, for stack traces and `__filename`. */
  readonly filename: string;
  /** The files the bundle was made from (the .zip itself for a zip), for the watch fingerprint. */
  readonly inputFiles: readonly string[];
  /** fingerprintFiles(inputFiles, handler): the bundle's cache key. */
  readonly inputsHash: string;
}

const PLAIN_JS = new Set(['.js', '.mjs', '.cjs']);

/** Bundles and checks one function; throws VERGE_ERR_FUNCTION_LOAD naming what is wrong. */
export async function bundleFunction(source: FunctionSource): Promise<FunctionBundle> {
  const fail = (problems: readonly string[]) =>
    new LambdaExecutionError('VERGE_ERR_FUNCTION_LOAD', `The function ${source.name} could not be loaded: ${problems.join('; ')}`, { function: source.name });
  // A CloudFront Function is one script of at most 10 KB that may import only CloudFront's modules:
  // cff-loader.ts checks both and turns its imports into requires; nothing is bundled.
  if (source.runtime === 'cloudfront-js-2.0') {
    const file = source.codePath;
    return finish({ code: readFileSync(file, 'utf8'), filename: file, root: path.dirname(file), inputs: [file] }, source.handler);
  }
  const handler = parseHandler(source.handler);
  const stats = await stat(source.codePath);
  if (stats.isDirectory()) return finish(await bundlePackage(source.codePath, handler, fail), source.handler);
  if (path.extname(source.codePath).toLowerCase() === '.zip') {
    const dir = await mkdtemp(path.join(tmpdir(), 'verge-zip-'));
    try {
      try {
        await extractZip(source.codePath, dir);
      } catch (err) {
        if (err instanceof ZipPackageError) throw fail([err.message]);
        throw err;
      }
      const built = await bundlePackage(dir, handler, fail);
      // Stack traces and __filename name the file inside the archive, not the private directory.
      const filename = path.join(source.codePath, path.relative(dir, built.filename));
      return await finish({ ...built, filename, inputs: [source.codePath] }, source.handler);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return finish(await bundleSingleFile(source.codePath, handler, fail), source.handler);
}

interface Built {
  readonly code: string;
  readonly filename: string;
  readonly root: string;
  /** Absolute input paths. */
  readonly inputs: readonly string[];
}

async function finish(built: Built, handler: string): Promise<FunctionBundle> {
  const inputFiles = [...built.inputs];
  const pkg = path.join(built.root, 'package.json');
  // package.json decides how imports resolve ("main", "exports", "type") without being an input.
  const fromZip = inputFiles.length > 0 && inputFiles[0]!.endsWith('.zip');
  if (!inputFiles.includes(pkg) && inputFiles.length > 0 && !fromZip && existsSync(pkg)) inputFiles.push(pkg);
  // So does the tsconfig.json esbuild applies (jsx settings, paths, useDefineForClassFields, …).
  const tsconfig = fromZip ? undefined : nearestTsconfig(built.root);
  if (tsconfig !== undefined && !inputFiles.includes(tsconfig)) inputFiles.push(tsconfig);
  return { code: built.code, filename: built.filename, inputFiles, inputsHash: await fingerprintFiles(inputFiles, handler) };
}

/**
 * The tsconfig.json (or jsconfig.json) esbuild reads for code in `dir`: the nearest one in `dir` or
 * above it (esbuild's "tsconfig" docs: it looks for the nearest tsconfig.json or jsconfig.json file).
 */
function nearestTsconfig(dir: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    for (const name of ['tsconfig.json', 'jsconfig.json']) {
      const candidate = path.join(current, name);
      if (existsSync(candidate)) return candidate;
    }
    if (path.dirname(current) === current) return undefined;
  }
}

type Fail = (problems: readonly string[]) => LambdaExecutionError;

/**
 * A single file is checked by bundling it, but loads as written when it imports nothing but sandbox
 * modules: its line numbers, ES-module semantics (top-level await) and code cache stay as they were.
 * One that imports other files or is TypeScript, or names another export, loads as its bundle.
 * A file that does not parse is left to the isolate, which reports it as Lambda does, at invocation.
 */
async function bundleSingleFile(file: string, handler: HandlerName, fail: Fail): Promise<Built> {
  const root = path.dirname(file);
  const ext = path.extname(file).toLowerCase();
  const entry = path.basename(file);
  let metafile: Metafile;
  try {
    // ESM output for the check accepts everything a module may contain (top-level await).
    metafile = (await esbuild(root, entry, 'handler', 'esm')).metafile;
  } catch (err) {
    const errors = (err as BuildFailure).errors;
    if (errors === undefined) throw err;
    if (PLAIN_JS.has(ext) && isSyntaxOnly(errors)) return { code: readFileSync(file, 'utf8'), filename: file, root, inputs: [file] };
    throw fail(buildErrorProblems(errors));
  }
  const problems = moduleProblems(metafile);
  if (problems.length > 0) throw fail(problems);
  const inputs = inputPaths(root, metafile);
  if (inputs.length === 1 && PLAIN_JS.has(ext) && handler.exportName === 'handler') {
    return { code: readFileSync(file, 'utf8'), filename: file, root, inputs };
  }
  try {
    const out = await esbuild(root, entry, handler.exportName, 'cjs');
    return { code: out.code, filename: file, root, inputs: inputPaths(root, out.metafile) };
  } catch (err) {
    const errors = (err as BuildFailure).errors;
    if (errors === undefined) throw err;
    throw fail(buildErrorProblems(errors));
  }
}

/** A directory package (or an extracted .zip): the handler file resolved inside it, then bundled. */
async function bundlePackage(root: string, handler: HandlerName, fail: Fail): Promise<Built> {
  const entryPath = entryOf(root, handler, fail);
  const entry = path.relative(root, entryPath);
  let out: { code: string; metafile: Metafile };
  try {
    out = await esbuild(root, entry, handler.exportName, 'cjs');
  } catch (err) {
    const errors = (err as BuildFailure).errors;
    if (errors === undefined) throw err;
    throw fail(buildErrorProblems(errors));
  }
  const problems = moduleProblems(out.metafile);
  if (problems.length > 0) throw fail(problems);
  return { code: out.code, filename: entryPath, root, inputs: inputPaths(root, out.metafile) };
}

/** The handler's file: `index` → index.js, index.mjs, index.cjs, index.ts, … (Lambda's lookup, plus TypeScript). */
function entryOf(root: string, handler: HandlerName, fail: Fail): string {
  for (const ext of HANDLER_EXTENSIONS) {
    const candidate = path.join(root, handler.file + ext);
    if (existsSync(candidate)) return candidate;
  }
  throw fail([`handler ${handler.file}.${handler.exportName}: no file ${handler.file}{${HANDLER_EXTENSIONS.join(',')}} in the package`]);
}

function inputPaths(root: string, metafile: Metafile): string[] {
  return Object.keys(metafile.inputs)
    .filter((p) => p !== '<stdin>')
    .map((p) => path.resolve(root, p));
}

async function esbuild(root: string, entry: string, exportName: string, format: 'esm' | 'cjs'): Promise<{ code: string; metafile: Metafile }> {
  const entryImport = `./${entry.split(path.sep).join('/')}`;
  const options: BuildOptions = {
    absWorkingDir: root,
    // A handler other than `handler` is re-exported under that name, which the loader looks for; for
    // an ES module, esbuild fails the build when the export does not exist.
    ...(exportName === 'handler'
      ? { entryPoints: [entryImport] }
      : { stdin: { contents: `export { ${exportName} as handler } from ${JSON.stringify(entryImport)};`, resolveDir: root, sourcefile: '<stdin>', loader: 'js' } }),
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format,
    target: 'esnext',
    logLevel: 'silent',
    // Keep paths as the package lays them out, so a symlink into a parent directory still counts as
    // inside the package (Lambda's zip would hold the linked files).
    preserveSymlinks: true,
    // The sandbox has no `process`; libraries commonly branch on NODE_ENV.
    define: { 'process.env.NODE_ENV': '"production"' },
    // Unminified, with esbuild's `// path/to/file.js` markers, so a stack trace line is readable.
    minify: false,
    keepNames: false,
  };
  const result = await build(options);
  return { code: result.outputFiles![0]!.text, metafile: result.metafile! };
}
