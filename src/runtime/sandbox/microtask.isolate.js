// Runs INSIDE the isolate. queueMicrotask (HTML Living Standard, "Microtask queuing"). An exception in
// the callback is reported like an uncaught error in Node (here: logged as an error), not swallowed.
import { PromiseThen as then } from './primordials.isolate.js';

export default function install(sandbox) {
  const resolved = Promise.resolve();
  function queueMicrotask(callback) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    then(resolved, () => {
      try {
        callback();
      } catch (err) {
        sandbox.reportError(err);
      }
    });
  }
  sandbox.defineGlobals('microtask', () => ({ queueMicrotask }));
}
