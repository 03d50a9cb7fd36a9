// Runs INSIDE the isolate. Node's `path` module (POSIX, as on Lambda's Linux): the `path-browserify`
// npm package, a port of Node's own path.posix. `path.posix` is the module itself, as in Node on Linux.

export default function install(sandbox) {
  sandbox.defineModule('path', () => {
    const path = require('path-browserify');
    path.posix = path;
    return path;
  });
}
