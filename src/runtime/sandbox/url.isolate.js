// Runs INSIDE the isolate. Node's `url` module: the WHATWG URL and URLSearchParams (whatwg-url, shared
// with the globals), domainToASCII, fileURLToPath/pathToFileURL (POSIX), and the legacy
// url.parse/format/resolve that older Lambda@Edge code still calls (Node's "Legacy URL API": the same
// fields, split by the grammar of RFC 3986 appendix B, not Node's exact quirks with malformed input).

const RFC3986 = /^(?:([A-Za-z][A-Za-z0-9+.-]*:))?(?:\/\/(?:([^@/?#]*)@)?([^/?#]*))?([^?#]*)(\?[^#]*)?(#.*)?$/;

function create(sandbox) {
  const { URL, URLSearchParams } = sandbox.require('verge:whatwg-url');
  const querystring = sandbox.require('querystring');

  class Url {
    constructor() {
      this.protocol = null;
      this.slashes = null;
      this.auth = null;
      this.host = null;
      this.port = null;
      this.hostname = null;
      this.hash = null;
      this.search = null;
      this.query = null;
      this.pathname = null;
      this.path = null;
      this.href = null;
    }
    format() {
      return format(this);
    }
    resolve(relative) {
      return resolve(this.href, relative);
    }
  }

  function parse(input, parseQueryString, slashesDenoteHost) {
    if (input instanceof Url) return input;
    if (typeof input !== 'string') {
      throw Object.assign(new TypeError('The "url" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    const s = input.trim();
    const m = RFC3986.exec(s);
    const u = new Url();
    let [, protocol, auth, host, pathname, search, hash] = m;
    const hasAuthority = s.slice(protocol ? protocol.length : 0).startsWith('//');
    if (hasAuthority && (protocol || slashesDenoteHost)) {
      u.slashes = true;
    } else if (hasAuthority) {
      // "//host/path" without a protocol is a path unless slashesDenoteHost (Node's rule).
      pathname = '//' + (auth ? auth + '@' : '') + (host || '') + pathname;
      auth = host = undefined;
    }
    u.protocol = protocol ? protocol.toLowerCase() : null;
    if (u.slashes) {
      u.auth = auth !== undefined ? decodeURIComponent(auth) : null;
      const hostLower = (host || '').toLowerCase();
      const portMatch = /:(\d*)$/.exec(hostLower);
      u.port = portMatch && portMatch[1] !== '' ? portMatch[1] : null;
      u.hostname = portMatch ? hostLower.slice(0, portMatch.index) : hostLower;
      u.host = u.hostname + (u.port ? ':' + u.port : '');
    }
    u.pathname = pathname || (u.slashes ? '/' : null);
    u.search = search || null;
    u.hash = hash || null;
    const rawQuery = search ? search.slice(1) : null;
    u.query = parseQueryString ? querystring.parse(rawQuery || '') : rawQuery;
    u.path = (u.pathname || '') + (u.search || '') || null;
    u.href = format(u);
    return u;
  }

  function format(obj) {
    if (typeof obj === 'string') obj = parse(obj);
    if (obj instanceof URL) return obj.href;
    const protocol = obj.protocol ? (obj.protocol.endsWith(':') ? obj.protocol : obj.protocol + ':') : '';
    let host = '';
    if (obj.host) host = obj.host;
    else if (obj.hostname) host = (obj.hostname.includes(':') ? '[' + obj.hostname + ']' : obj.hostname) + (obj.port ? ':' + obj.port : '');
    const auth = obj.auth ? encodeURIComponent(obj.auth).replace(/%3A/i, ':') + '@' : '';
    let search = obj.search || '';
    if (!search && obj.query && typeof obj.query === 'object') {
      const q = querystring.stringify(obj.query);
      if (q) search = '?' + q;
    }
    if (search && search[0] !== '?') search = '?' + search;
    let pathname = obj.pathname || '';
    const slashes = obj.slashes || /^(https?|ftp|gopher|file|wss?):$/.test(protocol) || host !== '';
    if (slashes && host !== '' && pathname && pathname[0] !== '/') pathname = '/' + pathname;
    let hash = obj.hash || '';
    if (hash && hash[0] !== '#') hash = '#' + hash;
    pathname = pathname.replace(/[?#]/g, encodeURIComponent);
    search = search.replace('#', '%23');
    return protocol + (slashes ? '//' + auth + host : auth + host) + pathname + search + hash;
  }

  // Node's documented replacement for url.resolve on the WHATWG URL (https://nodejs.org/api/url.html#urlresolvefrom-to).
  function resolve(from, to) {
    const resolved = new URL(to, new URL(from, 'resolve://'));
    if (resolved.protocol === 'resolve:') {
      const { pathname, search, hash } = resolved;
      return pathname + search + hash;
    }
    return resolved.toString();
  }

  function domainToASCII(domain) {
    try {
      return new URL('ws://' + domain).hostname;
    } catch {
      return '';
    }
  }

  function fileURLToPath(u) {
    const url = typeof u === 'string' ? new URL(u) : u;
    if (url.protocol !== 'file:') throw Object.assign(new TypeError('The URL must be of scheme file'), { code: 'ERR_INVALID_URL_SCHEME' });
    if (url.hostname !== '') throw Object.assign(new TypeError('File URL host must be "localhost" or empty on linux'), { code: 'ERR_INVALID_FILE_URL_HOST' });
    if (/%2f/i.test(url.pathname)) throw Object.assign(new TypeError('File URL path must not include encoded / characters'), { code: 'ERR_INVALID_FILE_URL_PATH' });
    return decodeURIComponent(url.pathname);
  }

  function pathToFileURL(path) {
    const url = new URL('file://');
    url.pathname = String(path).replace(/%/g, '%25').replace(/\\/g, '%5C').replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/\t/g, '%09');
    return url;
  }

  return { URL, URLSearchParams, Url, parse, format, resolve, domainToASCII, fileURLToPath, pathToFileURL };
}

export default function install(sandbox) {
  sandbox.defineModule('url', () => create(sandbox));
}
