// The ONE table of sandbox globals (issue 3, section 1), read on both sides of the isolate boundary:
// - inside the isolate, registry.isolate.js defines each global as a lazy accessor when its unit is
//   installed, so a unit's code runs only when user code first reads one of its globals;
// - on the host, sandbox-plan.ts installs a unit into an isolate only when the function's code names
//   one of its globals (or `always` is set), so an isolate never even compiles what it cannot use.
//
// `unit` is the file `src/runtime/sandbox/<unit>.isolate.js` that provides the global. To add a global,
// add rows here naming a new unit file; nothing else changes. `always: true` marks small
// globals every isolate gets, whatever its code says (cheap, and often reached indirectly).
//
// console, setTimeout/clearTimeout and setInterval/clearInterval are not here: they belong to the
// runtime's bootstrap (lambda-edge.isolate.js, with the console of isolate-core.isolate.js), because
// the host's timers and log lines travel in its envelope.

export interface SandboxGlobal {
  /** The property of globalThis. */
  readonly name: string;
  /** The unit file (`<unit>.isolate.js`) whose install() provides it. */
  readonly unit: string;
  /** Installed in every isolate, whatever the function's code names. */
  readonly always?: boolean;
  /** Other words whose presence in the code means the unit is needed (`subtle`, for `crypto.subtle`). */
  readonly alsoNamedBy?: readonly string[];
}

export const GLOBALS: readonly SandboxGlobal[] = [
  // Encoding (WHATWG Encoding Standard: UTF-8 only, as in Node's small-icu builds' defaults).
  { name: 'TextEncoder', unit: 'encoding', always: true },
  { name: 'TextDecoder', unit: 'encoding', always: true },
  // HTML Living Standard, "Base64 utility methods".
  { name: 'atob', unit: 'base64', always: true },
  { name: 'btoa', unit: 'base64', always: true },
  // HTML, "Structured cloning"; HTML, "Microtask queuing".
  { name: 'structuredClone', unit: 'structured-clone', always: true },
  { name: 'queueMicrotask', unit: 'microtask', always: true },
  // WebCrypto: getRandomValues and randomUUID here; `subtle` is attached by the unit that implements it.
  { name: 'crypto', unit: 'web-crypto', always: true },
  // WHATWG URL Standard (bundled whatwg-url, with its IDNA tables: loaded only by code that names URL).
  { name: 'URL', unit: 'url-global' },
  { name: 'URLSearchParams', unit: 'url-global' },
  // Node's Buffer global (Lambda@Edge runs Node.js).
  { name: 'Buffer', unit: 'buffer' },
  // Fetch Standard and DOM §3.1 (AbortController): host operations, performed by undici on the host.
  { name: 'fetch', unit: 'fetch' },
  { name: 'Request', unit: 'fetch' },
  { name: 'Response', unit: 'fetch' },
  { name: 'Headers', unit: 'fetch' },
  { name: 'AbortController', unit: 'fetch' },
  { name: 'AbortSignal', unit: 'fetch' },
  // Web Cryptography API (the host's WebCrypto does the work): the unit also puts `subtle` on
  // `crypto`, so code that names `subtle` (as in `crypto.subtle`) gets it too.
  { name: 'CryptoKey', unit: 'subtle', alsoNamedBy: ['subtle'] },
  { name: 'SubtleCrypto', unit: 'subtle' },
];
