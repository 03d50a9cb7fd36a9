/**
 * The sandbox: Web APIs and Node modules for user code, built INSIDE the isolate (issue 3, section 1).
 *
 * ENTRY POINTS (runtime-agnostic: the Lambda@Edge and CloudFront Functions runtimes both use them):
 *
 *   const sb = installSandboxCore(isolate, context, { memoryMb, modules: LAMBDA_EDGE_MODULES });
 *   // (CloudFront Functions: { memoryMb, modules: CLOUDFRONT_FUNCTIONS_MODULES, webGlobals: false })
 *   installUnits(sb, ['crypto', 'querystring']);      // module units (and their dependencies)
 *   const require = sb.sandbox.getSync('userRequire', { reference: true });  // hand to your bootstrap
 *   // ES modules: resolve sandbox specifiers with esModuleFor(sb, specifier) in instantiateSync.
 *
 * installSandboxCore evaluates registry.isolate.js plus the small always-present globals
 * (globals.isolate.ts); installUnits adds module units (`crypto`, `querystring`, `buffer`, …, one file
 * each: `<name>.isolate.js`) and global units (`url-global`, …). In the isolate, a module's code runs on
 * its first `require`, a global's on its first read. The host's native code (hashing, random bytes,
 * zlib) is reached only through one private callback (host-bridge.ts) that user code cannot see.
 */
import ivm from 'isolated-vm';
import { createHostBridge, hostBridgeLimits } from './host-bridge.ts';
import { UNIT_DEPENDENCIES, WARM_UP, unitCode, type UnitCode } from './sandbox-units.ts';

export interface SandboxOptions {
  readonly memoryMb: number;
  /** The module names this runtime offers (named in "Cannot find module" messages). */
  readonly modules: readonly string[];
  /** Install the always-present Web globals of globals.isolate.ts (default true; false for CloudFront Functions). */
  readonly webGlobals?: boolean;
}

/** A sandbox installed in one isolate: the isolate-side `sandbox` object and what is installed. */
export interface Sandbox {
  readonly isolate: ivm.Isolate;
  readonly context: ivm.Context;
  /** The isolate-side registry (registry.isolate.js). Never given to user code. */
  readonly sandbox: ivm.Reference<Record<string, unknown>>;
  readonly installed: Set<string>;
}

export function installSandboxCore(isolate: ivm.Isolate, context: ivm.Context, options: SandboxOptions): Sandbox {
  const core = coreUnitName(options);
  const init = runUnit(isolate, context, unitCode(core));
  const sandbox = init.applySync(undefined, [createHostBridge(hostBridgeLimits(options.memoryMb))], {
    result: { reference: true },
  }) as unknown as ivm.Reference<Record<string, unknown>>;
  init.release();
  const setOffered = sandbox.getSync('setOffered', { reference: true }) as ivm.Reference<(names: string[]) => void>;
  setOffered.applySync(undefined, [[...options.modules]], { arguments: { copy: true } });
  setOffered.release();
  return { isolate, context, sandbox, installed: new Set([core]) };
}

/**
 * installSandboxCore on isolated-vm's thread pool: the same steps, each awaited, so the event loop
 * serves requests while they run (blank-isolate.ts refills its reserve this way). The first install
 * of a process, which makes the unit's code cache, stays synchronous.
 */
export async function installSandboxCoreAsync(isolate: ivm.Isolate, context: ivm.Context, options: SandboxOptions): Promise<Sandbox> {
  const core = coreUnitName(options);
  const unit = unitCode(core);
  if (unit.cachedData === undefined) return installSandboxCore(isolate, context, options);
  const script = await isolate.compileScript(unit.source, { filename: unit.filename, cachedData: unit.cachedData });
  const init = (await script.run(context, { reference: true })) as ivm.Reference<(...args: unknown[]) => unknown>;
  script.release();
  const sandbox = (await init.apply(undefined, [createHostBridge(hostBridgeLimits(options.memoryMb))], {
    result: { reference: true },
  })) as unknown as ivm.Reference<Record<string, unknown>>;
  init.release();
  const setOffered = (await sandbox.get('setOffered', { reference: true })) as ivm.Reference<(names: string[]) => void>;
  await setOffered.apply(undefined, [[...options.modules]], { arguments: { copy: true } });
  setOffered.release();
  return { isolate, context, sandbox, installed: new Set([core]) };
}

function coreUnitName(options: SandboxOptions): string {
  return options.webGlobals === false ? 'core-bare' : 'core';
}

/** Installs units (and the units they depend on) that are not installed yet. */
export function installUnits(sb: Sandbox, names: Iterable<string>): void {
  for (const name of names) {
    if (sb.installed.has(name)) continue;
    installUnits(sb, UNIT_DEPENDENCIES[name] ?? []);
    const install = runUnit(sb.isolate, sb.context, unitCode(name));
    install.applySync(undefined, [sb.sandbox.derefInto()]);
    install.release();
    sb.installed.add(name);
  }
}

/**
 * An ES module standing for a sandbox module, for `import crypto from 'crypto'` and
 * `import { createHash } from 'crypto'`: a default export (the module object, as Node gives for
 * built-ins) and one named export per property. The wrapper reads the module through the one-shot
 * global `__vergeImport` that `exposeImports` sets before the user module evaluates.
 */
export function esModuleFor(sb: Sandbox, specifier: string): ivm.Module {
  const exportNames = sb.sandbox.getSync('exportNames', { reference: true }) as ivm.Reference<(s: string) => string>;
  const names = String(exportNames.applySync(undefined, [specifier])).split(',').filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
  exportNames.release();
  // `export { local as name }` takes any IdentifierName, reserved words included (ECMA-262 §16.2.3).
  const source =
    `const m = globalThis.__vergeImport(${JSON.stringify(specifier)});\n` +
    names.map((n, i) => `const e${i} = m[${JSON.stringify(n)}];\n`).join('') +
    `export { m as default${names.map((n, i) => `, e${i} as ${n}`).join('')} };\n`;
  return sb.isolate.compileModuleSync(source, { filename: `verge:sandbox/${specifier}` });
}

/** Sets the one-shot global the `count` sandbox ES modules read (see registry.isolate.js). */
export function exposeImports(sb: Sandbox, count: number): void {
  (sb.sandbox.getSync('exposeImports', { reference: true }) as ivm.Reference<(n: number) => void>).applySync(undefined, [count]);
}

export function closeImports(sb: Sandbox): void {
  (sb.sandbox.getSync('closeImports', { reference: true }) as ivm.Reference<() => void>).applySync(undefined, []);
}

function runUnit(isolate: ivm.Isolate, context: ivm.Context, unit: UnitCode): ivm.Reference<(...args: unknown[]) => unknown> {
  const script = isolate.compileScriptSync(unit.source, {
    filename: unit.filename,
    ...(unit.cachedData ? { cachedData: unit.cachedData } : { produceCachedData: true }),
  });
  if (unit.cachedData === undefined) {
    unit.cachedData = (script as ivm.Script & ivm.CachedDataResult).cachedData;
    scheduleWarmCache(unit);
  }
  const fn = script.runSync(context, { reference: true }) as ivm.Reference<(...args: unknown[]) => unknown>;
  script.release();
  return fn;
}

/**
 * V8's code cache holds only the functions compiled when it was made, and a script compiled just now
 * has compiled little beyond its top level: every isolate would still compile the unit's functions
 * on first use. So once per process and unit, off the request path, a scratch isolate installs the
 * unit, runs its WARM_UP code, and compiles the same source again: V8 finds the script in that
 * isolate's compilation cache with its functions compiled, and the cache made from it includes them.
 */
const WARM_CACHE_DELAY_MS = 50;
/** Each warm-up holds the event loop for a few ms: one per timer turn, spread out. */
const WARM_CACHE_SPACING_MS = 20;
let warmCachesScheduled = 0;

function scheduleWarmCache(unit: UnitCode): void {
  if (WARM_UP[unit.name] === undefined) return;
  setTimeout(() => {
    try {
      warmCache(unit);
    } catch {
      // Only an optimisation: the cache made at first compile stays in use.
    }
  }, WARM_CACHE_DELAY_MS + WARM_CACHE_SPACING_MS * warmCachesScheduled++).unref();
}

function warmCache(unit: UnitCode): void {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  try {
    const context = isolate.createContextSync();
    const sb = installSandboxCore(isolate, context, { memoryMb: 64, modules: [] });
    if (unit.name !== 'core') installUnits(sb, [unit.name]);
    // The scratch isolate only: its global `require` reaches the sandbox's private registry.
    context.global.setSync('require', sb.sandbox.getSync('require', { reference: true }).derefInto());
    context.evalSync(WARM_UP[unit.name]!, { timeout: 1000 });
    const again = isolate.compileScriptSync(unit.source, { filename: unit.filename, produceCachedData: true });
    const cache = (again as ivm.Script & ivm.CachedDataResult).cachedData;
    if (cache !== undefined) unit.cachedData = cache;
  } finally {
    isolate.dispose();
  }
}

/**
 * Bundles the sandbox's units now (esbuild, ~50–100 ms, once per process) instead of during the first
 * cold start, which would spend them on a request's path, against its function's time limit.
 */
export function prepareSandbox(): void {
  unitCode('core');
}
