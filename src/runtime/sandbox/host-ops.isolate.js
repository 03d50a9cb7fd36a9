// Runs INSIDE a V8 isolate. The isolate's half of host operations (fetch, crypto.subtle): work that
// only the host can do. Like console lines (isolate-core.isolate.js) and timers
// (lambda-edge.isolate.js), an operation never calls the host: it is recorded as DATA and handed over
// with the next envelope
// (META.o = [[opId, kind, args, [binaryString…]]…], META.a = [opId…] for operations the function
// aborted). The host performs it and answers through the bootstrap's `settleOp(id, ok, json, bytes)`
// entry, which resolves or rejects the promise kept here. Only copied strings and ArrayBuffers ever
// cross; no host object reaches user code.
//
// Operations queued before the first invocation (at the module's top level, e.g. importing a key
// once) are handed over with the first invocation. Operations of an earlier invocation that the
// host never answered (it aborts them when an invocation ends) are forgotten at the next one.
//
// Bundled into each unit that uses it (fetch, subtle); the one queue of an isolate lives on the
// sandbox object as `sandbox.hostOps`, where the bootstrap (isolate-core.isolate.js) finds it.
import * as codec from './bytes.isolate.js';
// Captured when the unit is installed, before user code runs.
import {
  ArrayPush,
  ErrorCtor,
  MapCtor,
  MapDelete,
  MapForEach,
  MapGet,
  MapSet,
  MapSize,
  PromiseCtor,
  defineProperty,
  parse,
} from './primordials.isolate.js';

/** The isolate's host-operation queue, made by the first unit that asks (at install, before user code runs). */
export function hostOpsOf(sandbox) {
  if (sandbox.hostOps === undefined) sandbox.hostOps = createHostOps();
  return sandbox.hostOps;
}

function createHostOps() {
  const ERRORS = { TypeError, RangeError, SyntaxError };

  /** More in flight than this in one invocation is a runaway loop, not a real function. */
  const MAX_PENDING_OPS = 1000;

  let queue = [];
  let aborts = [];
  /** opId → {resolve, reject, seq, sent} */
  const pending = new MapCtor();
  let nextOpId = 1;
  let seq = 0;
  let active = false;

  // WebCrypto and fetch reject with DOMExceptions (AbortError, OperationError, …). The sandbox may
  // have no DOMException global; a plain Error with the right `name` serves the same checks.
  class OpDOMException extends ErrorCtor {
    constructor(message, name) {
      super(message);
      defineProperty(this, 'name', { value: name === undefined ? 'Error' : String(name), writable: true, configurable: true });
    }
  }

  /** An error for user code from {name, message, cause?}: the host's error, rebuilt isolate-side. */
  function makeError(info) {
    const name = info !== null && typeof info === 'object' ? String(info.name) : 'Error';
    const message = info !== null && typeof info === 'object' ? String(info.message) : String(info);
    const Ctor = ERRORS[name];
    const DOMExc = typeof globalThis.DOMException === 'function' ? globalThis.DOMException : OpDOMException;
    const err = Ctor !== undefined ? new Ctor(message) : name === 'Error' ? new ErrorCtor(message) : new DOMExc(message, name);
    if (info !== null && typeof info === 'object' && info.cause !== undefined) {
      const cause = new ErrorCtor(String(info.cause.message));
      if (info.cause.code !== undefined) cause.code = String(info.cause.code);
      defineProperty(err, 'cause', { value: cause, writable: true, configurable: true });
    }
    return err;
  }

  /**
   * Starts an operation: `args` is plain JSON, `bins` a list of Uint8Arrays (copied now).
   * Returns {id, promise}; the promise resolves to {json, bytes} (bytes: an ArrayBuffer or undefined).
   */
  function start(kind, args, bins) {
    if (MapSize(pending) >= MAX_PENDING_OPS) {
      return { id: 0, promise: PromiseCtor.reject(new RangeError('More than ' + MAX_PENDING_OPS + ' fetch/crypto.subtle operations pending at once')) };
    }
    const id = nextOpId++;
    const wire = [];
    if (bins !== undefined) for (let i = 0; i < bins.length; i++) ArrayPush(wire, codec.toBinary(bins[i]));
    const promise = new PromiseCtor((resolve, reject) => {
      MapSet(pending, id, { resolve, reject, seq, sent: false });
    });
    ArrayPush(queue, [id, kind, args, wire]);
    return { id, promise };
  }

  /** The function gave up on an operation (AbortSignal): forget it and tell the host to stop it. */
  function cancel(id) {
    const p = MapGet(pending, id);
    if (p === undefined) return;
    MapDelete(pending, id);
    if (p.sent) {
      ArrayPush(aborts, id);
      return;
    }
    const kept = [];
    for (let i = 0; i < queue.length; i++) if (queue[i][0] !== id) ArrayPush(kept, queue[i]);
    queue = kept;
  }

  return {
    // For the units: start an operation, give up on one, rebuild a host error; the helpers they share.
    start,
    cancel,
    makeError,
    codec,
    /** The bootstrap's setTimeout, captured before user code could replace it (AbortSignal.timeout). */
    setTimeout: globalThis.setTimeout,
    // For the bootstrap:
    /** Called by the bootstrap's envelope(): [ops to start, ops to abort], or null when none. */
    take() {
      if (!active || (queue.length === 0 && aborts.length === 0)) return null;
      for (let i = 0; i < queue.length; i++) {
        const p = MapGet(pending, queue[i][0]);
        if (p !== undefined) {
          p.sent = true;
          p.seq = seq;
        }
      }
      const out = [queue, aborts];
      queue = [];
      aborts = [];
      return out;
    },
    /** Called by the bootstrap when an invocation starts. */
    reset() {
      // Operations queued but not sent since the last envelope were started after an earlier
      // invocation settled: they are dropped (never settled, as in a frozen Lambda environment), not
      // sent as this invocation's. Those of the top-level code (seq 0, before any invocation) go with
      // the first invocation, whose code awaits them.
      const unsent = [];
      for (let i = 0; i < queue.length; i++) {
        const p = MapGet(pending, queue[i][0]);
        if (p === undefined || p.seq === 0) ArrayPush(unsent, queue[i]);
        else MapDelete(pending, queue[i][0]);
      }
      queue = unsent;
      seq++;
      active = true;
      aborts = [];
      // Primordials, not for-of: user code may have replaced the iterators by now.
      const stale = [];
      MapForEach(pending, (p, id) => {
        if (p.sent) ArrayPush(stale, id);
      });
      for (let i = 0; i < stale.length; i++) MapDelete(pending, stale[i]);
    },
    /** The host's answer to operation `id`: JSON text, and bytes when the result has a body. */
    settle(id, ok, json, bytes) {
      const p = MapGet(pending, id);
      if (p === undefined || p.seq !== seq) return;
      MapDelete(pending, id);
      let value;
      try {
        value = parse(json);
      } catch {
        p.reject(new TypeError('malformed host reply'));
        return;
      }
      if (ok) p.resolve({ json: value, bytes });
      else p.reject(makeError(value));
    },
  };
}
