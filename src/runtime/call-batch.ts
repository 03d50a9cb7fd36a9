/**
 * Collects calls during one event-loop turn, grouped by key (HookRunner: by function version), and
 * runs each group at the end of the turn with one call of `runGroup`.
 *
 * Why: a call into an isolate made in the middle of request handling runs with cold caches, because
 * the isolate's heap and code were evicted by the HTTP and origin work around it. Measured on this
 * machine, the same warm call cost ~90 µs of CPU per hook under load when made inline, ~43 µs when
 * deferred with setImmediate, and a call made right after another call to the same isolate ~6 µs.
 * So calls requested during one turn wait for the check phase (at most one turn of latency) and then
 * run together, one version after another; and a group of one version's calls can run as one batch
 * in one isolate (FunctionRuntime.invokeMany). Continuations run after the whole flush.
 *
 * The calls a flush's continuations ask for (a request's next hook: origin-request after
 * viewer-request, viewer-response after origin-response) are flushed as soon as those continuations
 * are done, in the same check phase, not one loop turn later. Waiting a turn spread each request's
 * hooks over more turns, so every turn held fewer calls per version: with four hooks, batches of
 * ~6.8 calls against ~10.2 when chained (measured in scenario (d) of the bench, at full load and at
 * 3,000 req/s; scenario (c) has ~10.4), and the edge's CPU per request fell by ~4–11 µs.
 */
export class CallBatch<I, R> {
  private readonly runGroup: (items: readonly I[]) => ReadonlyArray<R | Promise<R>>;
  /**
   * This turn's groups. A new Map each turn, never Map.prototype.clear(): once a long-lived Map's
   * table is in V8's old generation, clear() allocates the next table there as well and leaves the
   * dropped table holding its entries, so every group set into it is referenced from old space and
   * survives young-generation GCs until a full GC, with every request it reaches (its continuations,
   * its sockets, undici's request state). Measured in the bench's edge with one hook and an origin:
   * ~2.5 MB promoted per scavenge and 6–8 ms pauses (+ as much on helper threads), against ~0.1 MB
   * and ~1 ms without the hook.
   */
  private groups = new Map<string, Group<I, R>>();
  private scheduled = false;
  /** A flush's continuations are running: the calls they ask for wait for endDrain, not for the next turn. */
  private draining = false;
  private readonly armEndDrain = (): void => {
    process.nextTick(this.endDrain);
  };
  /** After the flush's continuations (and every microtask they chained) ran: flush what they asked for at once. */
  private readonly endDrain = (): void => {
    this.draining = false;
    if (this.groups.size > 0) this.flush();
  };

  /** `runGroup` returns one outcome per item, in order: a value, or a promise of one (rejected for a failure). */
  constructor(runGroup: (items: readonly I[]) => ReadonlyArray<R | Promise<R>>) {
    this.runGroup = runGroup;
  }

  /** Schedules `item` in its group of the current batch; resolves or rejects with its outcome. */
  run(groupKey: string, item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      let group = this.groups.get(groupKey);
      if (group === undefined) this.groups.set(groupKey, (group = { items: [], settles: [] }));
      group.items.push(item);
      group.settles.push([resolve, reject]);
      if (!this.scheduled && !this.draining) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    // Queued before the groups settle anything: this microtask runs first, and its tick runs once
    // the microtask queue is empty, i.e. after every continuation of this flush (Node drains all
    // microtasks before it runs the next tick).
    this.draining = true;
    queueMicrotask(this.armEndDrain);
    // Calls scheduled while flushing (none today: continuations run after this returns) go to the next batch.
    const groups = this.groups;
    this.groups = new Map();
    for (const { items, settles } of groups.values()) {
      let outcomes: ReadonlyArray<R | Promise<R>>;
      try {
        outcomes = this.runGroup(items);
      } catch (err) {
        for (const [, reject] of settles) reject(err);
        continue;
      }
      settles.forEach(([resolve, reject], i) => {
        const outcome = outcomes[i]!;
        if (outcome instanceof Promise) outcome.then(resolve, reject);
        else resolve(outcome);
      });
    }
  };
}

interface Group<I, R> {
  readonly items: I[];
  readonly settles: Array<[(value: R) => void, (err: unknown) => void]>;
}
