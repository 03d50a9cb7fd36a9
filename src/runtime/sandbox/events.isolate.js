// Runs INSIDE the isolate. Node's `events` module: the `events` npm package (Node's EventEmitter as
// browserify ships it: on/once/off/emit, prependListener, listenerCount, events.once as a promise).

export default function install(sandbox) {
  sandbox.defineModule('events', () => require('events/'));
}
