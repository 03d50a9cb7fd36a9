import { buildSync, type BuildOptions } from 'esbuild';
import { fileURLToPath } from 'node:url';
import type ivm from 'isolated-vm';
import { GLOBALS } from './globals.isolate.ts';

/**
 * The sandbox's code, bundled for the isolate once per process with esbuild (npm packages such as
 * `buffer` and `whatwg-url` included) and kept with its V8 code cache, so each isolate compiles a unit
 * from cache instead of parsing it.
 *
 * A unit is one `<name>.isolate.js` file whose default export is `install(sandbox)`; its bundle is a
 * script whose completion value is that function. The core unit is special: registry.isolate.js plus
 * every unit of a global marked `always` in globals.isolate.ts, in one script whose completion value
 * is `init(hostCall)`, returning the isolate-side `sandbox` object; `core-bare` is the registry alone.
 */

/** Units that other units need installed first (the host installs dependencies before dependants). */
export const UNIT_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  crypto: ['buffer'],
  zlib: ['buffer'],
  url: ['url-global', 'querystring'],
};

/** Code that exercises each unit's common paths, run once per process to fill its code cache (sandbox.ts). */
export const WARM_UP: Readonly<Record<string, string>> = {
  'core-bare': `void 0;`,
  core: `new TextDecoder().decode(new TextEncoder().encode('é')); atob(btoa('x')); structuredClone({ a: [1] }); crypto.randomUUID(); crypto.getRandomValues(new Uint8Array(4)); queueMicrotask(() => {});`,
  buffer: `const B = require('buffer').Buffer; B.from('aGk', 'base64url').toString('hex'); B.concat([B.alloc(1), B.from('x')]).toString('base64'); B.byteLength('x');`,
  crypto: `const c = require('crypto'); c.createHmac('sha256', 'k').update('x').digest('hex'); c.createHash('md5').update('x').digest('base64'); c.randomBytes(4); c.timingSafeEqual(new Uint8Array(1), new Uint8Array(1));`,
  querystring: `const q = require('querystring'); q.stringify(q.parse('a=1&a=2&b=%20')); q.escape('a b');`,
  'url-global': `const u = new URL('https://a.example/p?q=1#h'); u.searchParams.get('q'); u.href; new URLSearchParams('a=1').toString();`,
  url: `const url = require('url'); url.parse('http://a/b?c=d', true); url.format({ protocol: 'http', host: 'a', pathname: '/' }); url.resolve('http://a/b', 'c');`,
  zlib: `const z = require('zlib'); z.gunzipSync(z.gzipSync('x')); z.inflateSync(z.deflateSync('x'));`,
  path: `const p = require('path'); p.join('/a', 'b'); p.basename('/a/b.c', '.c'); p.extname('x.y'); p.resolve('/a', 'b');`,
  util: `const u = require('util'); u.format('%s %d %j', 'a', 1, {}); u.inspect({ a: [1] }); u.promisify((cb) => cb());`,
  events: `const E = require('events'); const e = new E(); e.once('x', () => {}); e.on('y', () => {}); e.emit('x'); e.emit('y');`,
};

/** Module units, by the module name user code requires. */
export const MODULE_UNITS = ['querystring', 'url', 'buffer', 'crypto', 'zlib', 'path', 'util', 'events'] as const;

const ALWAYS_UNITS = [...new Set(GLOBALS.filter((g) => g.always === true).map((g) => g.unit))];

export interface UnitCode {
  readonly name: string;
  readonly source: string;
  readonly filename: string;
  /** V8 code cache, produced by the first isolate that compiles the unit. */
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
}

const units = new Map<string, UnitCode>();
const dir = fileURLToPath(new URL('.', import.meta.url));

/**
 * Units that are neither a Lambda@Edge module nor a global of the table, installed by name by the
 * runtime that needs them (e.g. CloudFront Functions' `cloudfront` module): add the file's name here.
 */
const OTHER_UNITS: readonly string[] = [];

/** Every unit besides the core: the module units, the units of globals not installed always, others. */
export const UNIT_NAMES: readonly string[] = [...new Set([...MODULE_UNITS, ...GLOBALS.filter((g) => g.always !== true).map((g) => g.unit), ...OTHER_UNITS])];

/**
 * The bundled code of a unit ('core' or a unit file's name). The first call bundles them all, in two
 * esbuild runs (~50–100 ms, once per process, usually when the first blank isolate is made at start).
 */
export function unitCode(name: string): UnitCode {
  if (units.size === 0) bundleAll();
  const unit = units.get(name);
  if (unit === undefined) throw new Error(`no sandbox unit named ${name}`);
  return unit;
}

const BUILD_OPTIONS: BuildOptions = {
  bundle: true,
  write: false,
  format: 'iife',
  globalName: '__vergeUnit',
  platform: 'neutral',
  // The package.json "main" field (buffer, events, …) as well as "module".
  mainFields: ['module', 'main'],
  target: 'es2022',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'silent',
  // Smaller stand-ins for two of whatwg-url's dependencies (each file says why).
  absWorkingDir: dir,
  alias: {
    tr46: './tr46-shim.isolate.js',
    '@exodus/bytes/whatwg.js': './exodus-whatwg-shim.isolate.js',
    '@exodus/bytes/encoding.js': './exodus-encoding-shim.isolate.js',
  },
};

function bundleAll(): void {
  const core = [
    "import init from './registry.isolate.js';",
    ...ALWAYS_UNITS.map((u, i) => `import u${i} from './${u}.isolate.js';`),
    'export default function core(hostCall) {',
    '  const sandbox = init(hostCall);',
    ...ALWAYS_UNITS.map((_, i) => `  u${i}(sandbox);`),
    '  return sandbox;',
    '}',
  ].join('\n');
  const coreBuild = buildSync({ ...BUILD_OPTIONS, stdin: { contents: core, resolveDir: dir, sourcefile: 'core.entry.js', loader: 'js' } });
  add('core', coreBuild.outputFiles![0]!.text);
  // The registry alone, for runtimes whose users get no Web globals (CloudFront Functions).
  const bare = buildSync({ ...BUILD_OPTIONS, stdin: { contents: "export { default } from './registry.isolate.js';", resolveDir: dir, sourcefile: 'core-bare.entry.js', loader: 'js' } });
  add('core-bare', bare.outputFiles![0]!.text);
  const rest = buildSync({ ...BUILD_OPTIONS, entryPoints: UNIT_NAMES.map((n) => ({ in: `./${n}.isolate.js`, out: n })), outdir: 'out' });
  for (const file of rest.outputFiles!) add(file.path.slice(file.path.lastIndexOf('/') + 1, -'.js'.length), file.text);
}

function add(name: string, iife: string): void {
  units.set(name, { name, source: asScript(iife), filename: `verge:sandbox/${name}.isolate.js`, cachedData: undefined });
}

/** esbuild's IIFE assigns a `var`; wrapping it in a function keeps that name off the isolate's global object. */
function asScript(iife: string): string {
  return `(function () {\n${iife}\nreturn __vergeUnit.default;\n})()`;
}

/**
 * A runtime's bootstrap (`lambda-edge.isolate.js`, `cloudfront-functions.isolate.js`: an absolute path)
 * bundled with what it imports (isolate-core.isolate.js, primordials.isolate.js) into one script whose
 * completion value is its default export, the entry table. Once per process and runtime (~5 ms);
 * whitespace is kept so that stack frames through the bootstrap name a readable line.
 */
export function bootstrapCode(entry: string): string {
  const build = buildSync({ ...BUILD_OPTIONS, minifyWhitespace: false, entryPoints: [entry] });
  return asScript(build.outputFiles![0]!.text);
}
