import { transform, transformSync } from 'esbuild';
import { GLOBALS } from './globals.isolate.ts';
import { MODULE_UNITS } from './sandbox-units.ts';

/**
 * Which sandbox units a function needs, read from its code once per version: the modules it names
 * (ES module imports, or `require('…')` with a string literal in CommonJS), and the globals of the
 * table (globals.isolate.ts) whose names occur in the code as words, comments left out (a comment that
 * mentions a URL should not load whatwg-url, nor one that shows `require('fs')` fail the load). A global that code reaches only
 * by a computed name (`globalThis['U' + 'RL']`) is missed: that is the price of not loading whatwg-url
 * into every isolate, and is stated in docs/architecture.md.
 */
// `__require` too: esbuild's name for require in the bundles it writes.
const REQUIRE_LITERAL = /(?<![\w$])(?:__)?require\s*\(\s*(?:'([^'\n]+)'|"([^"\n]+)"|`([^`$\n]+)`)\s*\)/g;
const REQUIRE_CALL = /(?<![\w$.])(?:__)?require\s*\(/g;

const GLOBAL_WORDS = GLOBALS.filter((g) => g.always !== true).flatMap((g) =>
  [g.name, ...(g.alsoNamedBy ?? [])].map((name) => ({ unit: g.unit, word: new RegExp(`\\b${name}\\b`) })),
);

/**
 * The code without its comments (esbuild's printer drops them), for the scans below; the code as
 * given when it does not parse, since compiling it will then report the real error.
 */
export function withoutComments(code: string): string {
  try {
    return transformSync(code, { loader: 'js', minifyWhitespace: true, legalComments: 'none', logLevel: 'silent' }).code;
  } catch {
    return code;
  }
}

/**
 * withoutComments, in esbuild's service process without blocking this thread (~0.85 ms each for the
 * sync form, measured): versions loaded from a config are scanned when they load, so a cold start on
 * the request path does not pay for it.
 */
export async function withoutCommentsAsync(code: string): Promise<string> {
  try {
    return (await transform(code, { loader: 'js', minifyWhitespace: true, legalComments: 'none', logLevel: 'silent' })).code;
  } catch {
    return code;
  }
}

/** Specifiers of `require('…')` calls with a literal argument. */
export function requiredSpecifiers(code: string): string[] {
  const out = new Set<string>();
  for (const m of code.matchAll(REQUIRE_LITERAL)) out.add((m[1] ?? m[2] ?? m[3])!);
  return [...out];
}

/**
 * Whether the code calls require with something other than a string literal (`require(name)`): then
 * the scan cannot know the modules, and every module unit is installed (each is evaluated only if
 * required, so this costs compile-from-cache time and the units' source, ~0.2 ms and ~100 KB).
 */
export function hasComputedRequire(code: string): boolean {
  let calls = 0;
  for (const _ of code.matchAll(REQUIRE_CALL)) calls++;
  let literals = 0;
  for (const _ of code.matchAll(REQUIRE_LITERAL)) literals++;
  return calls > literals;
}

/** Units to install for code that uses `modules` (already validated names) and names these globals. */
export function unitsFor(code: string, modules: readonly string[]): string[] {
  const units = new Set<string>();
  for (const g of GLOBAL_WORDS) if (g.word.test(code)) units.add(g.unit);
  for (const m of modules) if ((MODULE_UNITS as readonly string[]).includes(m)) units.add(m);
  return [...units];
}

/** The message for a module the runtime does not offer (a load-time error, like Node's). */
export function moduleNotFoundMessage(specifier: string, offered: readonly string[]): string {
  return `Cannot find module '${specifier}': the Verge sandbox offers ${offered.join(', ')}`;
}
