// Runs INSIDE the isolate. URL and URLSearchParams (WHATWG URL Standard), from the `whatwg-url` npm
// package: the reference implementation jsdom uses, tested against the web-platform-tests URL suite.
// Bundled with two shims (sandbox-units.ts): IDNA by the host instead of tr46's tables, and UTF-8 only
// percent-encoding instead of @exodus/bytes' legacy encodings; still ~120 KB of code, so this unit is
// installed only into isolates whose code names URL or URLSearchParams, and evaluated on first read.

import { setHost } from './tr46-shim.isolate.js';

export default function install(sandbox) {
  setHost(sandbox.host);
  // One evaluation of whatwg-url serves the globals and the `url` module (a private module name:
  // user code's require accepts only the runtime's public modules).
  sandbox.defineModule('verge:whatwg-url', () => require('whatwg-url'));
  sandbox.defineGlobals('url-global', () => {
    const whatwg = sandbox.require('verge:whatwg-url');
    return { URL: whatwg.URL, URLSearchParams: whatwg.URLSearchParams };
  });
}
