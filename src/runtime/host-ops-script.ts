import { readFileSync } from 'node:fs';
import ivm from 'isolated-vm';

// The isolate half of host operations: fetch and crypto.subtle (sandbox/*.isolate.js). Each file is
// one function expression; they are joined into one script so a blank isolate pays one compile (from
// V8's code cache) and one run, and nothing is left on the isolate's global object but the globals
// they install: the pieces meet as arguments, never as globals user code could reach.
function part(name: string): string {
  return readFileSync(new URL(`./sandbox/${name}.isolate.js`, import.meta.url), 'utf8').trimEnd().replace(/;$/, '');
}

/** The globals each script provides (its build function returns them by these names). */
export const FETCH_GLOBALS = ['fetch', 'Request', 'Response', 'Headers', 'AbortController', 'AbortSignal'] as const;
export const SUBTLE_GLOBALS = ['crypto.subtle', 'CryptoKey', 'SubtleCrypto'] as const;

const SOURCE = `(function () {
'use strict';
const codec = (${part('bytes')}
)();
return (${part('host-ops')}
)(codec, [
  [${JSON.stringify(FETCH_GLOBALS)}, ${part('fetch')}
  ],
  [${JSON.stringify(SUBTLE_GLOBALS)}, ${part('subtle')}
  ],
]);
})()`;
const FILENAME = 'verge:host-ops.isolate.js';
let cache: ivm.ExternalCopy<ArrayBuffer> | undefined;

/**
 * Installs fetch, Request, Response, Headers, AbortController, AbortSignal, crypto.subtle and CryptoKey
 * into a blank isolate, and attaches their op queue to the bootstrap (its `attachHostOps` entry), whose
 * envelopes then carry the operations to the host.
 */
export function installHostOps(isolate: ivm.Isolate, context: ivm.Context, api: ivm.Reference<Record<string, unknown>>): void {
  const script = isolate.compileScriptSync(SOURCE, { filename: FILENAME, ...(cache ? { cachedData: cache } : { produceCachedData: true }) });
  cache ??= (script as ivm.Script & ivm.CachedDataResult).cachedData;
  const ops = script.runSync(context, { reference: true }) as ivm.Reference<unknown>;
  const attach = api.getSync('attachHostOps', { reference: true }) as ivm.Reference<(ops: unknown) => void>;
  attach.applySync(undefined, [ops.derefInto()]);
  attach.release();
  ops.release();
}
