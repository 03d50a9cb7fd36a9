import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

type Controller = Dispatcher.DispatchController;

/**
 * A response from the origin whose body has not been consumed yet. The body is held back (the
 * connection paused) until the lifecycle decides what to do with it: stream it to the viewer, read it
 * (a function replaces it, or a later cache stores it), or throw it away. Writing straight from
 * undici's callbacks into the ServerResponse, with pause/resume for back-pressure, avoids an
 * intermediate Readable per request.
 */
export class OriginResponse {
  status = 0;
  statusText = '';
  rawHeaders: string[] = [];
  private controller: Controller | undefined;
  private pending: Buffer[] = [];
  private ended = false;
  private error: Error | undefined;
  private sink: ((chunk: Buffer) => boolean) | undefined;
  private onEnd: (() => void) | undefined;
  private onError: ((err: Error) => void) | undefined;
  start(controller: Controller, status: number, statusText: string, rawHeaders: string[]): void {
    this.controller = controller;
    this.status = status;
    this.statusText = statusText;
    this.rawHeaders = rawHeaders;
  }

  data(controller: Controller, chunk: Buffer): void {
    if (this.sink === undefined) {
      this.pending.push(chunk);
      controller.pause();
      return;
    }
    if (!this.sink(chunk)) controller.pause();
  }

  end(): void {
    this.ended = true;
    if (this.sink !== undefined) this.onEnd?.();
  }

  fail(err: Error): void {
    this.error = err;
    this.onError?.(err);
  }

  /** Streams the body into the viewer's response and ends it. */
  pipeTo(res: ServerResponse, onError: (err: Error) => void): void {
    const write = (chunk: Buffer): boolean => res.write(chunk);
    res.on('drain', () => this.controller?.resume());
    // A viewer that goes away stops the origin transfer too.
    res.on('close', () => {
      if (!this.ended && !this.error) this.controller?.abort(new Error('viewer disconnected'));
    });
    this.attach(write, () => res.end(), onError);
  }

  /**
   * The body as a Readable (for the cache's tee or a compressor), with back-pressure: the origin
   * connection pauses while the stream's buffer is full. Destroying it aborts the transfer.
   */
  toReadable(): Readable {
    const readable = new Readable({
      read: () => this.controller?.resume(),
      destroy: (err, callback) => {
        if (!this.ended && !this.error) this.controller?.abort(err ?? new Error('body stream destroyed'));
        callback(err);
      },
    });
    this.attach(
      (chunk) => readable.push(chunk),
      () => readable.push(null),
      (err) => readable.destroy(err),
    );
    return readable;
  }

  /** Reads the whole body (for a function or a cache), up to maxBytes; rejects past it. */
  readAll(maxBytes: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.attach(
        (chunk) => {
          size += chunk.length;
          if (size > maxBytes) {
            this.controller?.abort(new Error('body too large'));
            reject(new RangeError(`The origin body is larger than ${maxBytes} bytes`));
            return false;
          }
          chunks.push(chunk);
          return true;
        },
        () => resolve(Buffer.concat(chunks, size)),
        reject,
      );
    });
  }

  /** Drops the body; the connection is closed rather than drained when the body may be large. */
  discard(): void {
    if (this.ended || this.error) return;
    this.controller?.abort(new Error('body discarded'));
  }

  private attach(sink: (chunk: Buffer) => boolean, onEnd: () => void, onError: (err: Error) => void): void {
    this.sink = sink;
    this.onEnd = onEnd;
    this.onError = onError;
    if (this.error) {
      onError(this.error);
      return;
    }
    const pending = this.pending;
    this.pending = [];
    let flowing = true;
    for (const chunk of pending) flowing = sink(chunk) && flowing;
    if (this.ended) onEnd();
    else if (flowing) this.controller?.resume();
  }
}
