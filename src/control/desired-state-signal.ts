/**
 * Wakes the edge API's long polls (`GET /v1/edge/locations/{location}/revision?after=G&waitMs=M`)
 * when a deployment in this process changes what a location should serve, so a node learns of a
 * deploy at once instead of at its next poll. A long poll still re-reads the store every
 * `recheckMs`, which covers changes made by another control-plane process sharing the store.
 */
export class DesiredStateSignal {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Resolves when `notify(location)` is called, after `timeoutMs`, or when `signal` aborts. */
  wait(location: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.#waiters.get(location);
      if (set === undefined) this.#waiters.set(location, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(location) === set) this.#waiters.delete(location);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  notify(location: string): void {
    for (const wake of [...(this.#waiters.get(location) ?? [])]) wake();
  }
}
