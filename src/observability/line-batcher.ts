import type pino from 'pino';

/** The destination pino.destination() makes (sonic-boom), which does the writing. */
export type SonicDestination = ReturnType<typeof pino.destination>;

/**
 * Joins log lines into batches before they reach sonic-boom, which writes them (sync or async,
 * EAGAIN retries, drops past maxLength, atomic writes up to maxWrite). Why a layer of our own:
 * sonic-boom 4's write() measures Buffer.byteLength of the line and of the whole batch it is
 * appending to, on every line, flattening that growing string each time: measured here 1.2 µs a line
 * against 0.35 µs for joining the lines first, and the node writes one access line per request and
 * one REPORT line per function call (~3 lines a request with two hooks). Lines are handed on when
 * `maxBatchChars` would be passed, when `flushEveryMs` passed, and on flush, flushSync, end and
 * process exit, so nothing stays behind for longer than sonic-boom's own periodic flush kept it.
 */
export class LineBatcher {
  readonly inner: SonicDestination;
  private readonly maxBatchChars: number;
  private pending = '';
  private readonly timer: NodeJS.Timeout;

  /** `maxBatchChars` also caps each batch below sonic-boom's maxWrite (a batch is written whole). */
  constructor(inner: SonicDestination, maxBatchChars: number, flushEveryMs: number) {
    this.inner = inner;
    this.maxBatchChars = maxBatchChars;
    this.timer = setInterval(this.push, flushEveryMs).unref();
    // Before pino's own exit hook ends an asynchronous destination (on-exit-leak-free runs in
    // registration order), so the last lines are in it when it writes synchronously on exit.
    process.prependListener('exit', this.onExit);
  }

  write(line: string): boolean {
    if (this.pending.length > 0 && this.pending.length + line.length > this.maxBatchChars) this.push();
    this.pending += line;
    return true;
  }

  /** Hands the lines joined so far to sonic-boom. */
  readonly push = (): void => {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = '';
    this.inner.write(batch);
  };

  flush(cb?: (err?: Error) => void): void {
    this.push();
    this.inner.flush(cb);
  }

  flushSync(): void {
    this.push();
    this.inner.flushSync();
  }

  end(): void {
    this.push();
    this.stop();
    this.inner.end();
  }

  private readonly onExit = (): void => {
    this.push();
    this.stop();
  };

  private stop(): void {
    clearInterval(this.timer);
    process.removeListener('exit', this.onExit);
  }
}
