import type { HostOpRequest } from './envelope.ts';
import { performFetch, type ByteBudget } from './fetch-bridge.ts';
import { opFailure, type OpOutcome } from './op-outcome.ts';
import { KeyTable, performSubtle } from './subtle-bridge.ts';

/** Where a finished operation goes: the invocation hands it to the isolate's `settleOp` entry. */
export type OpDelivery = (id: number, outcome: OpOutcome) => void;

export interface HostOpsLimits {
  /** fetch() calls allowed in one invocation (functions[].maxSubrequests). */
  readonly maxSubrequests: number;
  /** Response bodies copied into the isolate, all fetches of the invocation together. */
  readonly maxResponseBytes: number;
}

/** The share of a function's memoryMb the response bodies of one invocation may take once copied into its heap. */
export function maxResponseBytesFor(memoryMb: number): number {
  return Math.floor((memoryMb * 1024 * 1024) / 4);
}

const keyTables = new WeakMap<object, KeyTable>();

/** Operations of one invocation running at once on the host (the isolate allows as many). */
const MAX_IN_FLIGHT = 1000;
/**
 * crypto.subtle calls of one invocation running at once. WebCrypto's jobs run on libuv's small thread
 * pool (4 threads by default, shared with file and DNS work) and cannot be aborted, so one invocation
 * must not fill it: Cloudflare Workers and browsers run them one after another per caller.
 */
export const MAX_SUBTLE_IN_FLIGHT = 16;

/**
 * The host operations (fetch, crypto.subtle) of one invocation. The isolate lists them in its envelopes;
 * this runs them and delivers each result once. Everything still running when the invocation ends
 * (settled, failed or past its deadline) is aborted, and nothing of it reaches a later invocation:
 * `close` stops deliveries for good.
 */
export class HostOps {
  private readonly owner: object;
  private readonly limits: HostOpsLimits;
  private readonly deliver: OpDelivery;
  private readonly onLimit: (message: string) => void;
  private readonly inFlight = new Map<number, AbortController>();
  private subrequests = 0;
  private readonly subtleInFlight = new Set<number>();
  /** What is left of the invocation's budget for response bodies (limits.maxResponseBytes). */
  private readonly bodyBudget: ByteBudget;
  private closed = false;

  /** `owner` is the isolate: CryptoKey handles are valid for its whole life, across invocations. */
  constructor(owner: object, limits: HostOpsLimits, deliver: OpDelivery, onLimit: (message: string) => void) {
    this.owner = owner;
    this.limits = limits;
    this.deliver = deliver;
    this.onLimit = onLimit;
    this.bodyBudget = { total: limits.maxResponseBytes, left: limits.maxResponseBytes };
  }

  start(ops: readonly HostOpRequest[], aborts: readonly number[]): void {
    for (const id of aborts) {
      this.inFlight.get(id)?.abort();
      this.inFlight.delete(id);
    }
    for (const op of ops) this.startOne(op);
  }

  private startOne(op: HostOpRequest): void {
    if (!Array.isArray(op) || typeof op[0] !== 'number' || this.inFlight.has(op[0])) return;
    const [id, kind, args, wireBins] = op;
    // The isolate caps its own pending operations; this holds even if its queue were subverted.
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.inFlight.set(id, new AbortController());
      void Promise.resolve().then(() => this.finish(id, opFailure('RangeError', `More than ${MAX_IN_FLIGHT} fetch/crypto.subtle operations pending at once`)));
      return;
    }
    const bins = Array.isArray(wireBins) ? wireBins.map((b) => Buffer.from(String(b), 'latin1')) : [];
    const controller = new AbortController();
    this.inFlight.set(id, controller);
    let work: Promise<OpOutcome>;
    if (kind === 'fetch') {
      this.subrequests++;
      if (this.subrequests > this.limits.maxSubrequests) {
        const message = `fetch: too many subrequests (this function may make at most ${this.limits.maxSubrequests} per invocation; raise functions[].maxSubrequests)`;
        if (this.subrequests === this.limits.maxSubrequests + 1) this.onLimit(message);
        work = Promise.resolve(opFailure('TypeError', message));
      } else {
        work = performFetch(args, bins, controller.signal, this.bodyBudget);
      }
    } else if (kind === 'subtle' && this.subtleInFlight.size >= MAX_SUBTLE_IN_FLIGHT) {
      work = Promise.resolve(opFailure('OperationError', `crypto.subtle: more than ${MAX_SUBTLE_IN_FLIGHT} operations running at once in one invocation; await some before starting more`));
    } else if (kind === 'subtle') {
      this.subtleInFlight.add(id);
      let keys = keyTables.get(this.owner);
      if (keys === undefined) keyTables.set(this.owner, (keys = new KeyTable()));
      work = performSubtle(args, bins, keys);
    } else {
      work = Promise.resolve(opFailure('TypeError', `unknown host operation ${String(kind)}`));
    }
    work.then(
      (outcome) => this.finish(id, outcome),
      (err: unknown) => this.finish(id, opFailure('Error', err instanceof Error ? err.message : String(err))),
    );
  }

  private finish(id: number, outcome: OpOutcome): void {
    // Counted until the host's work ends, even if the isolate gave up on it (an abort cannot stop WebCrypto).
    this.subtleInFlight.delete(id);
    if (this.closed || !this.inFlight.delete(id)) return;
    this.deliver(id, outcome);
  }

  /** The invocation ended: abort what still runs and deliver nothing more. */
  close(): void {
    this.closed = true;
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
  }
}
