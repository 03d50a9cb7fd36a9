// Runs INSIDE the isolate. Node's `querystring` module: the `querystring-es3` npm package (Node's own
// parse/stringify, as browserify ships it), plus escape/unescape, which that package leaves out.

function create() {
  const qs = require('querystring-es3');
  // Node's querystring.escape: encodeURIComponent (https://nodejs.org/api/querystring.html#querystringescapestr).
  const escape = (str) => encodeURIComponent(typeof str === 'string' ? str : String(str));
  // Node's querystring.unescape: decodeURIComponent, falling back to a lenient decode of malformed input.
  const unescape = (str) => {
    try {
      return decodeURIComponent(str);
    } catch {
      return String(str).replace(/%([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    }
  };
  return { parse: qs.parse, decode: qs.decode, stringify: qs.stringify, encode: qs.encode, escape, unescape };
}

export default function install(sandbox) {
  sandbox.defineModule('querystring', create);
}
