import { Buffer } from 'node:buffer';
import { transformSync } from 'esbuild';
import ivm from 'isolated-vm';
import { CFF_MAX_CODE_BYTES } from '../config/cloudfront-functions-limits.ts';
import { keyValueStoreData } from '../kvs/kvs-directory.ts';
import { compileVersionScript, type CodeCacheUse, type CompiledScript } from './code-cache.ts';
import type { FunctionVersion } from './function-version.ts';
import { CLOUDFRONT_FUNCTIONS_MODULES } from './sandbox/module-names.ts';
import { installUnits, type Sandbox } from './sandbox/sandbox.ts';
import { unitsFor } from './sandbox/sandbox-plan.ts';

// A CloudFront Function is a script whose top level declares `function handler(event)` (nothing is
// exported); with JavaScript runtime 2.0 it may `import cf from 'cloudfront'`. The script is wrapped
// like a CommonJS module and the wrapper returns `handler`, so the handler is found without a global.
const PREFIX = '(function (exports, require, module, __filename, __dirname) {';
const SUFFIX = '\n;return typeof handler === "function" ? handler : undefined;\n})';

/** Modules a CloudFront Function may name; `cloudfront` is the bootstrap's own. */
const AVAILABLE: ReadonlySet<string> = new Set(CLOUDFRONT_FUNCTIONS_MODULES);

/** The script each version runs, made once per version (esbuild turns `import` into `require`), and the sandbox modules it names. */
const scripts = new WeakMap<FunctionVersion, { script: string; modules: string[] }>();

/**
 * Sandbox units a CloudFront Function may get: its three modules, and globals of JavaScript runtime
 * 2.0 (Buffer, TextEncoder/TextDecoder, atob/btoa are always there). Not URL, which CloudFront
 * Functions do not offer.
 */
const CFF_UNITS: ReadonlySet<string> = new Set(['crypto', 'querystring', 'buffer']);

/**
 * Loads a CloudFront Function into a blank isolate of the CloudFront Functions runtime
 * (cloudfront-functions.isolate.js): checks the 10 KB limit and the modules it names, compiles it
 * (with the version's V8 code cache), hands the store lookup to the bootstrap, and finds the handler.
 * Returns how the code was compiled (code-cache.ts). Throws on any failure; the caller turns it into
 * VERGE_ERR_FUNCTION_LOAD.
 */
export function loadCloudFrontFunction(
  isolate: ivm.Isolate,
  context: ivm.Context,
  api: ivm.Reference<Record<string, unknown>>,
  sandbox: Sandbox,
  version: FunctionVersion,
  timeoutMs: number,
): { cache: CodeCacheUse; uncached?: CompiledScript } {
  const { script, modules } = scriptOf(version);
  // The shared sandbox modules (crypto, querystring, buffer) this function names, and the globals it
  // uses among those CloudFront Functions have; `cloudfront` is the bootstrap's own.
  installUnits(sandbox, unitsFor(script, modules).filter((unit) => CFF_UNITS.has(unit)));
  const filename = `file:///${basename(version.filename)}`;
  const { script: compiled, cache, uncached } = compileVersionScript(isolate, version, PREFIX + script + SUFFIX, filename);
  version.kind = 'commonjs';
  const store = version.keyValueStore;
  if (store !== undefined) {
    const file = store.file;
    // The one crossing from the isolate to the host: strings in, a string (or undefined) out, read
    // from the store's current data (reloads show at the next call). op 1: get a key; op 2: meta().
    const lookup = new ivm.Callback((op: number, key: string) => {
      let data;
      try {
        data = keyValueStoreData(file);
      } catch {
        // Never throw across: a host error would carry host stack frames (file paths) into the isolate.
        // A store that cannot be read (only possible when no edge node holds it open) reads as empty.
        return op === 2 ? '{"keyCount":0}' : undefined;
      }
      return op === 2 ? data.metaJson : data.entries.get(String(key));
    });
    const setKvsLookup = api.getSync('setKvsLookup', { reference: true }) as ivm.Reference<(...a: unknown[]) => void>;
    setKvsLookup.applySync(undefined, [store.id, lookup]);
  }
  const moduleFunction = compiled.runSync(context, { reference: true, timeout: timeoutMs }) as ivm.Reference<unknown>;
  const init = api.getSync('initCommonJs', { reference: true }) as ivm.Reference<(...a: unknown[]) => string>;
  init.applySync(undefined, [moduleFunction.derefInto(), filename], { timeout: timeoutMs });
  return uncached === undefined ? { cache } : { cache, uncached };
}

/**
 * Prepares a version's script ahead of its first cold start (esbuild's first call starts its service,
 * ~100 ms); a problem is left for the load to report as the function's load error.
 */
export function prepareCloudFrontFunction(version: FunctionVersion): void {
  try {
    scriptOf(version);
  } catch {
    // Reported by loadCloudFrontFunction on every cold start, as any load error.
  }
}

function scriptOf(version: FunctionVersion): { script: string; modules: string[] } {
  const cached = scripts.get(version);
  if (cached !== undefined) return cached;
  const size = Buffer.byteLength(version.code);
  // "Maximum function size: 10 KB" (Quotas on CloudFront Functions); also checked at config load.
  if (size > CFF_MAX_CODE_BYTES) throw new Error(`the function is ${size} bytes, over the CloudFront Functions limit of ${CFF_MAX_CODE_BYTES} bytes (10 KB)`);
  let script = version.code;
  if (/\b(?:import|export)\b/.test(script)) {
    // `import cf from 'cloudfront'` becomes `require("cloudfront")`; a real parser, so a word in a
    // string or comment does not confuse it.
    script = transformSync(script, { format: 'cjs', loader: 'js', target: 'es2022', sourcefile: basename(version.filename) }).code;
  }
  // A module that is not available fails when the function loads, naming it, not at the first request.
  const modules = new Set<string>();
  for (const match of script.matchAll(/\brequire\s*\(\s*(['"])([^'"]+)\1\s*\)/g)) {
    const name = match[2]!.replace(/^node:/, '');
    if (!AVAILABLE.has(name)) {
      throw new Error(`Cannot find module '${match[2]}': CloudFront Functions offer ${[...AVAILABLE].join(', ')}`);
    }
    if (name !== 'cloudfront') modules.add(name);
  }
  const result = { script, modules: [...modules] };
  scripts.set(version, result);
  return result;
}

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i === -1 ? path : path.slice(i + 1);
}
