// The ONE table of sandbox globals (issue 3, section 1), read on both sides of the isolate boundary:
// - inside the isolate, registry.isolate.js defines each global as a lazy accessor when its unit is
//   installed, so a unit's code runs only when user code first reads one of its globals;
// - on the host, sandbox-plan.ts installs a unit into an isolate only when the function's code names
//   one of its globals (or `always` is set), so an isolate never even compiles what it cannot use.
//
// `unit` is the file `src/runtime/sandbox/<unit>.isolate.js` that provides the global. To add a global
// (fetch, Request, … from branch issue3-async; crypto.subtle), add rows here naming a new unit file and
// register the unit in UNITS (sandbox-units.ts); nothing else changes. `always: true` marks small
// globals every isolate gets, whatever its code says (cheap, and often reached indirectly).
//
// console, setTimeout/clearTimeout and setInterval/clearInterval are not here: they belong to the
// runtime's bootstrap (lambda-edge.isolate.js), because the host's timers and log lines travel in its
// envelope.

export interface SandboxGlobal {
  /** The property of globalThis. */
  readonly name: string;
  /** The unit file (`<unit>.isolate.js`) whose install() provides it. */
  readonly unit: string;
  /** Installed in every isolate, whatever the function's code names. */
  readonly always?: boolean;
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
  // Reserved for branch issue3-async: fetch, Request, Response, Headers, AbortController, crypto.subtle.
];
