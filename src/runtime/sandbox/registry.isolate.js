// Runs INSIDE the isolate. The sandbox's core: the registry every sandbox unit (a module such as
// `crypto`, or a group of globals such as TextEncoder/TextDecoder) installs itself into, the
// `require` user code gets, and the one private channel to the host's native code.
//
// Bundled by sandbox-units.ts into a script whose completion value is `init(hostCall)`. The host calls
// it once per isolate with an ivm.Callback; the callback stays in this closure and is handed only to
// sandbox units (through the `sandbox` object), never to user code: nothing of the host is reachable
// from globalThis, from `require` or from any module's exports.
import { GLOBALS } from './globals.isolate.ts';
import { LAMBDA_EDGE_MODULES } from './module-names.ts';
import { ArrayIncludes, ArrayJoin, ErrorCtor, StringCtor, StringSlice, create, defineProperty, hasOwn, keys } from './primordials.isolate.js';

export default function init(hostCall) {
  'use strict';

  /** name → factory, for modules installed in this isolate but not evaluated yet. */
  const factories = create(null);
  /** name → exports, once evaluated (a module is evaluated on its first require, then cached). */
  const cache = create(null);
  /** The modules this runtime offers, for the error message (set by the runtime that installs us). */
  let offered = LAMBDA_EDGE_MODULES;
  let importsLeft = 0;

  function moduleName(specifier) {
    const s = StringCtor(specifier);
    return s.length > 5 && StringSlice(s, 0, 5) === 'node:' ? StringSlice(s, 5) : s;
  }

  function notFound(specifier) {
    const err = new ErrorCtor("Cannot find module '" + StringCtor(specifier) + "': the Verge sandbox offers " + ArrayJoin(offered, ', '));
    err.code = 'MODULE_NOT_FOUND';
    return err;
  }

  function requireModule(specifier) {
    const name = moduleName(specifier);
    if (hasOwn(cache, name)) return cache[name];
    const factory = factories[name];
    if (factory === undefined) {
      if (!ArrayIncludes(offered, name)) throw notFound(specifier);
      // Offered, but the host installs only the modules it finds in the code (sandbox-plan.ts).
      const err = new ErrorCtor("Module '" + name + "' was not loaded: Verge loads the modules a function names in import or require('…') with a string literal");
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    }
    const exports = factory();
    cache[name] = exports;
    return exports;
  }

  // Only the runtime's public modules: units may also register private helpers for each other.
  function requirePublic(specifier) {
    if (!ArrayIncludes(offered, moduleName(specifier))) throw notFound(specifier);
    return requireModule(specifier);
  }

  /**
   * Host calls return [0, value] or [1, message]: the host never throws across the boundary, because a
   * copied host error would carry host stack frames (file paths) into the isolate.
   */
  function host(op, a, b, c) {
    const r = hostCall(op, a, b, c);
    if (r[0] === 0) return r[1];
    const err = new ErrorCtor(r[1]);
    if (r[2] !== undefined) err.code = r[2];
    throw err;
  }

  /** Installs a global as a lazy accessor: its unit's factory runs on first read, then it is plain data. */
  function defineGlobal(name, factory) {
    defineProperty(globalThis, name, {
      configurable: true,
      enumerable: false,
      get() {
        const value = factory();
        defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
        return value;
      },
      set(value) {
        defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
      },
    });
  }

  // An own `hostOps` (set by the first unit queuing host operations, host-ops.isolate.js) so a read of
  // it never falls through to Object.prototype, which user code controls: a forged queue would let it
  // hand the host any fetch it likes (SSRF) from a function that was never given fetch.
  const sandbox = {
    hostOps: undefined,
    host,
    require: requireModule,
    /** Registers module `name`; `factory()` returns its exports and runs on the first require. */
    defineModule(name, factory) {
      factories[name] = factory;
    },
    /** Registers every global the table (globals.isolate.ts) gives to `unit`; `values()` returns them by name. */
    defineGlobals(unit, values) {
      let evaluated;
      const get = () => (evaluated ??= values());
      for (let i = 0; i < GLOBALS.length; i++) {
        const g = GLOBALS[i];
        if (g.unit === unit) defineGlobal(g.name, () => get()[g.name]);
      }
    },
    defineGlobal,
    /** The runtime's list of module names, used in "Cannot find module" messages. */
    setOffered(names) {
      offered = names;
    },
    /** `require` for user code: a plain function of this isolate, holding nothing of the host. */
    userRequire: function require(specifier) {
      return requirePublic(specifier);
    },
    /** Names a module exports, for the ES module wrapper the host generates (see esm-imports.ts). */
    exportNames(specifier) {
      const m = requireModule(specifier);
      return (m !== null && typeof m === 'object') || typeof m === 'function' ? keys(m).join(',') : '';
    },
    /**
     * Lets the next `count` sandbox ES modules read their exports through a one-shot global. Module
     * dependencies evaluate before the module importing them (ECMA-262 InnerModuleEvaluation), so the
     * global is gone before the first line of user code runs.
     */
    exposeImports(count) {
      importsLeft = count;
      if (count === 0) return;
      defineProperty(globalThis, '__vergeImport', {
        configurable: true,
        enumerable: false,
        value(specifier) {
          if (--importsLeft <= 0) delete globalThis.__vergeImport;
          return requirePublic(specifier);
        },
      });
    },
    /** Removes the one-shot global if evaluation stopped before every import read it. */
    closeImports() {
      importsLeft = 0;
      delete globalThis.__vergeImport;
    },
  };
  return sandbox;
}
