import pino from 'pino';
import { createLogger, type Logger } from '../observability/logger.ts';

/**
 * The logger of a process that shares stdout with others (the supervisor and its workers). A write
 * of at most PIPE_BUF (4096) bytes to a pipe is atomic (POSIX write(2)), and sonic-boom splits its
 * batches only between lines, so capping each write there keeps lines from different processes
 * from interleaving mid-line. Batching stays (2 KB or 250 ms), as in createLogger.
 */
export function createSharedStdoutLogger(): Logger {
  return createLogger({ stream: pino.destination({ dest: 1, sync: true, minLength: 2048, maxWrite: 4096, periodicFlush: 250 }) });
}
