/**
 * Lambda's handler setting, `file.export` ("index.handler"): the module file without its extension,
 * then the name of the exported function. The file part may name a subdirectory ("src/app.handler").
 */

export const DEFAULT_HANDLER = 'index.handler';

/** Extensions tried, in order, for the file part of a handler in a directory or .zip package (Node's order first, then TypeScript). */
export const HANDLER_EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'] as const;

/** Extensions accepted for a single-file function. */
export const SINGLE_FILE_EXTENSIONS: readonly string[] = HANDLER_EXTENSIONS;

export interface HandlerName {
  /** Module path relative to the package root, without extension: `index`, `src/app`. */
  readonly file: string;
  /** Export name: `handler`. */
  readonly exportName: string;
}

/** The problem with a handler string, or undefined when it is well-formed. */
export function handlerProblem(handler: string): string | undefined {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) return 'must be FILE.EXPORT, like index.handler';
  const file = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  if (!/^[A-Za-z_$][\w$]*$/.test(exportName)) return `export name ${JSON.stringify(exportName)} must be a JavaScript identifier`;
  if (file.startsWith('/') || file.split('/').some((s) => s === '..' || s === '' || s === '.')) return `file ${JSON.stringify(file)} must be a relative path inside the package, without . or .. segments`;
  if (!/^[\w./@-]+$/.test(file)) return `file ${JSON.stringify(file)} may use only letters, digits and _ - . @ /`;
  return undefined;
}

/** Splits a handler string that passed `handlerProblem`. */
export function parseHandler(handler: string): HandlerName {
  const dot = handler.lastIndexOf('.');
  return { file: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}
