// Runs INSIDE a V8 isolate. The built-ins that isolate-side code takes before any user code runs (Node's
// "primordials"): user code that later replaces String.prototype.split, Function.prototype.call,
// JSON.stringify or Map cannot change how the bootstraps encode envelopes or how the sandbox units
// behave. Methods are taken off their prototypes and called as plain functions
// (`ArrayPush(list, x)`); a direct call allocates no arguments array as Reflect.apply(fn, self, [args]) does.
//
// The one place these are captured: the bootstraps (isolate-core.isolate.js and the runtime files) and
// the sandbox units import from here. esbuild bundles a copy into each script (sandbox-units.ts), so
// each is captured when its script is evaluated: the bootstrap when the isolate is made, a unit when
// it is installed, both before user code. The `/* @__PURE__ */` marks let esbuild leave out what a
// script does not use, so a unit captures only its own few.
const uncurryThis = Function.prototype.call.bind.bind(Function.prototype.call);
const method = (Ctor, name) => uncurryThis(Ctor.prototype[name]);
const getter = (Ctor, name) => uncurryThis(Object.getOwnPropertyDescriptor(Ctor.prototype, name).get);

// Constructors and static functions.
export const ObjectCtor = Object;
export const StringCtor = String;
export const NumberCtor = Number;
export const PromiseCtor = Promise;
export const MapCtor = Map;
export const WeakMapCtor = WeakMap;
export const ErrorCtor = Error;
export const U8 = Uint8Array;
export const stringify = JSON.stringify;
export const parse = JSON.parse;
export const apply = Reflect.apply;
export const dateNow = Date.now;
export const isArray = Array.isArray;
export const keys = Object.keys;
export const create = Object.create;
export const freeze = Object.freeze;
export const hasOwn = Object.hasOwn;
export const defineProperty = Object.defineProperty;
export const getPrototypeOf = Object.getPrototypeOf;
export const MathMin = Math.min;
export const MathMax = Math.max;
export const MathTrunc = Math.trunc;
export const iteratorSymbol = Symbol.iterator;
export const toStringTag = Symbol.toStringTag;

// Prototype methods, uncurried.
export const FunctionCall = /* @__PURE__ */ method(Function, 'call');
export const ArrayPush = /* @__PURE__ */ method(Array, 'push');
export const ArrayIncludes = /* @__PURE__ */ method(Array, 'includes');
export const ArrayJoin = /* @__PURE__ */ method(Array, 'join');
export const ArraySort = /* @__PURE__ */ method(Array, 'sort');
export const StringSplit = /* @__PURE__ */ method(String, 'split');
export const StringToLowerCase = /* @__PURE__ */ method(String, 'toLowerCase');
export const StringToUpperCase = /* @__PURE__ */ method(String, 'toUpperCase');
export const StringIndexOf = /* @__PURE__ */ method(String, 'indexOf');
export const StringSlice = /* @__PURE__ */ method(String, 'slice');
export const StringTrim = /* @__PURE__ */ method(String, 'trim');
export const StringCharCodeAt = /* @__PURE__ */ method(String, 'charCodeAt');
export const RegExpTest = /* @__PURE__ */ method(RegExp, 'test');
export const PromiseThen = /* @__PURE__ */ method(Promise, 'then');
export const MapGet = /* @__PURE__ */ method(Map, 'get');
export const MapSet = /* @__PURE__ */ method(Map, 'set');
export const MapDelete = /* @__PURE__ */ method(Map, 'delete');
export const MapClear = /* @__PURE__ */ method(Map, 'clear');
export const MapForEach = /* @__PURE__ */ method(Map, 'forEach');
export const MapSize = /* @__PURE__ */ getter(Map, 'size');
export const WeakMapGet = /* @__PURE__ */ method(WeakMap, 'get');
export const WeakMapSet = /* @__PURE__ */ method(WeakMap, 'set');
