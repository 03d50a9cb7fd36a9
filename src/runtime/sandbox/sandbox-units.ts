import { buildSync } from 'esbuild';
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
 * is `init(hostCall)`, returning the isolate-side `sandbox` object.
 */

/** Units that other units need installed first (the host installs dependencies before dependants). */
export const UNIT_DEPENDENCIES: Readonly<Record<string, readonly string[]>> = {
  crypto: ['buffer'],
  zlib: ['buffer'],
  url: ['url-global', 'querystring'],
};

/** Code that exercises each unit's common paths, run once per process to fill its code cache (sandbox.ts). */
export const WARM_UP: Readonly<Record<string, string>> = {
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

/** The bundled code of a unit ('core' or a unit file's name), built on first request. */
export function unitCode(name: string): UnitCode {
  let unit = units.get(name);
  if (unit === undefined) {
    unit = { name, source: bundle(name), filename: `verge:sandbox/${name}.isolate.js`, cachedData: undefined };
    units.set(name, unit);
  }
  return unit;
}

function bundle(name: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`no sandbox unit named ${name}`);
  const contents =
    name === 'core'
      ? [
          "import init from './registry.isolate.js';",
          ...ALWAYS_UNITS.map((u, i) => `import u${i} from './${u}.isolate.js';`),
          'export default function core(hostCall) {',
          '  const sandbox = init(hostCall);',
          ...ALWAYS_UNITS.map((_, i) => `  u${i}(sandbox);`),
          '  return sandbox;',
          '}',
        ].join('\n')
      : `export { default } from './${name}.isolate.js';`;
  const result = buildSync({
    stdin: { contents, resolveDir: dir, sourcefile: `${name}.entry.js`, loader: 'js' },
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
  });
  // The IIFE assigns a `var`; wrapping it in a function keeps that name off the isolate's global object.
  return `(function () {\n${result.outputFiles[0]!.text}\nreturn __vergeUnit.default;\n})()`;
}
