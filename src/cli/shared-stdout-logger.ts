import pino from 'pino';
import { LineBatcher } from '../observability/line-batcher.ts';
import { createLogger, type Logger } from '../observability/logger.ts';

/**
 * Bytes of log lines a process holds while stdout does not take them; past it new lines are dropped
 * (counted, and reported once stdout takes lines again). A few seconds of a busy node's access log.
 */
export const LOG_BUFFER_MAX_BYTES = 4 * 1024 * 1024;
/** How often a process checks whether lines were dropped, to say so. */
const DROP_REPORT_EVERY_MS = 1_000;

/**
 * The logger of a process that shares stdout with others (the supervisor and its workers). A write
 * of at most PIPE_BUF (4096) bytes to a pipe is atomic (POSIX write(2)), and sonic-boom splits its
 * batches only between lines, so capping each write there keeps lines from different processes
 * from interleaving mid-line. Batching stays (up to 1,300 characters, at most 3.9 KB of UTF-8 and
 * so within one such write, or 250 ms), as in createLogger.
 *
 * Writes are asynchronous (on libuv's thread pool), with a bounded buffer that drops lines when
 * full. Synchronous writes block the event loop as long as whatever reads stdout does not read (a
 * paused pipe, a stuck log shipper): a worker blocked there serves nothing and sends no heartbeat,
 * and the watchdog would SIGKILL every healthy worker in turn, forever. Asynchronous writes keep the
 * event loop free; the cost is a thread-pool hop per batch (createLogger measures ~4 µs a line more)
 * and, while the reader stalls, lost lines, which are counted and reported (`log-lines-dropped`)
 * rather than held without bound. A heartbeat from a separate thread that ignores time blocked in
 * log writes was the alternative; it would still leave requests waiting on a blocked event loop.
 */
export function createSharedStdoutLogger(): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 0, maxWrite: 4096, maxLength: LOG_BUFFER_MAX_BYTES, contentMode: 'buffer' });
  const logger = createLogger({ stream: new LineBatcher(destination, 1300, 250) });
  let dropped = 0;
  // A dropped write is a batch of lines.
  destination.on('drop', (batch: Buffer) => (dropped += countLines(batch)));
  // Reported once the buffer has room again (the reader is back), so the report itself gets through.
  setInterval(() => {
    if (dropped === 0 || (destination as unknown as { _len: number })._len > LOG_BUFFER_MAX_BYTES / 2) return;
    const count = dropped;
    dropped = 0;
    logger.warn({ type: 'log-lines-dropped', dropped: count }, `${count} log line(s) were dropped: stdout was not read while ${LOG_BUFFER_MAX_BYTES} bytes of lines waited`);
  }, DROP_REPORT_EVERY_MS).unref();
  return logger;
}

function countLines(batch: Buffer): number {
  let n = 0;
  for (let i = batch.indexOf(0x0a); i !== -1; i = batch.indexOf(0x0a, i + 1)) n++;
  return n;
}
