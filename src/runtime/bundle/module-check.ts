/**
 * The load-time module check (issue 3, section 1): every import that the bundler left external must be
 * a module the sandbox offers, and every import must resolve inside the function's package, or the
 * function fails to load, naming the module and the file that imports it, before it serves a request.
 */
import path from 'node:path';
import type { Message, Metafile } from 'esbuild';
import { LAMBDA_EDGE_MODULES, lambdaEdgeModule } from '../sandbox/module-names.ts';

const OFFERED = `the Verge sandbox offers ${LAMBDA_EDGE_MODULES.join(', ')}`;

/**
 * Problems found in a bundle's metafile (paths relative to the package root, as esbuild writes them
 * with absWorkingDir set to it). Empty when every import is available.
 */
export function moduleProblems(metafile: Metafile): string[] {
  const problems: string[] = [];
  for (const [importer, input] of Object.entries(metafile.inputs)) {
    for (const imp of input.imports) {
      const specifier = imp.original ?? imp.path;
      // esbuild's own helpers (`<runtime>`) are not user imports.
      if (imp.path.startsWith('<')) continue;
      if (imp.external) {
        if (lambdaEdgeModule(imp.path) === undefined) problems.push(`Cannot find module '${specifier}' imported from ${displayPath(importer)}: ${OFFERED}`);
      } else if (isOutside(imp.path)) {
        // Lambda runs only what the package holds; a package found in a parent directory's
        // node_modules would work here and fail on AWS.
        problems.push(`Cannot find module '${specifier}' imported from ${displayPath(importer)}: it resolves to ${imp.path}, outside the function's package (add it to the package's node_modules)`);
      }
    }
  }
  return [...new Set(problems)];
}

/** esbuild's build errors in the same wording; unresolved imports become "Cannot find module". */
export function buildErrorProblems(errors: readonly Message[]): string[] {
  return errors.map((e) => {
    const at = e.location ? `${displayPath(e.location.file)}:${e.location.line}:${e.location.column + 1}` : undefined;
    const unresolved = /^Could not resolve "(.+)"$/.exec(e.text);
    if (unresolved) return `Cannot find module '${unresolved[1]}' imported from ${at ?? 'the function'}: no such file or package in the function's package`;
    return at ? `${at}: ${e.text}` : e.text;
  });
}

/** Whether esbuild failed only because the code does not parse (left to the isolate for a single file). */
export function isSyntaxOnly(errors: readonly Message[]): boolean {
  return errors.length > 0 && errors.every((e) => !/^Could not resolve|^No matching export|not supported with the "cjs" output format/.test(e.text));
}

function displayPath(p: string): string {
  // esbuild prefixes virtual modules ("<stdin>") and namespaces ("ns:path"); show plain file paths.
  return p.replace(/^file:/, '').split(path.sep).join('/');
}

function isOutside(p: string): boolean {
  return p.startsWith('..') || path.isAbsolute(p);
}
