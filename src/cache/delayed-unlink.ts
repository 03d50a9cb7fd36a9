import { rm } from 'node:fs/promises';

/** How many files are unlinked at once: a purge of many entries must not flood libuv's thread pool. */
const UNLINK_CONCURRENCY = 32;

/**
 * Deletes files a fixed delay after they were handed over, in order, a few at a time. The disk
 * store hands over the body files of entries it deleted or replaced: another worker process may
 * have read the entry's index row just before and be about to open the file.
 */
export class DelayedUnlink {
  readonly #delayMs: number;
  #queue: { readonly dueMs: number; readonly path: string }[] = [];
  #head = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(delayMs: number) {
    this.#delayMs = delayMs;
  }

  add(paths: readonly string[]): void {
    const dueMs = Date.now() + this.#delayMs;
    for (const path of paths) this.#queue.push({ dueMs, path });
    this.#schedule();
  }

  /** Deletes every file still waiting, now. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#drain(true);
  }

  #schedule(): void {
    if (this.#running !== undefined || this.#timer !== undefined || this.#head >= this.#queue.length) return;
    const waitMs = Math.max(0, this.#queue[this.#head]!.dueMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#drain(false).finally(() => {
        this.#running = undefined;
        this.#schedule();
      });
    }, waitMs).unref();
  }

  async #drain(all: boolean): Promise<void> {
    for (;;) {
      const batch: string[] = [];
      const now = Date.now();
      while (batch.length < UNLINK_CONCURRENCY && this.#head < this.#queue.length && (all || this.#queue[this.#head]!.dueMs <= now)) {
        batch.push(this.#queue[this.#head++]!.path);
      }
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      if (batch.length === 0) return;
      await Promise.all(batch.map((path) => rm(path, { force: true }).catch(() => undefined)));
    }
  }
}
