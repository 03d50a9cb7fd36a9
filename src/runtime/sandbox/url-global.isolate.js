// Runs INSIDE the isolate. URL and URLSearchParams (WHATWG URL Standard), from the `whatwg-url` npm
// package: the reference implementation jsdom uses, tested against the web-platform-tests URL suite.
// Its IDNA tables (tr46) are large, so this unit is installed only into isolates whose code names URL
// or URLSearchParams, and evaluated on first read.

export default function install(sandbox) {
  sandbox.defineGlobals('url-global', () => {
    const whatwg = require('whatwg-url');
    return { URL: whatwg.URL, URLSearchParams: whatwg.URLSearchParams };
  });
}
