import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stdout (asynchronously flushed) by default. */
  readonly stream?: DestinationStream;
}

/**
 * The node's one structured logger: JSON lines, one object per event. stdout is written
 * asynchronously (pino's sonic-boom with sync: false) because a synchronous write per access-log
 * line is the largest avoidable cost on the request path; flushLogger() drains it at shutdown.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const stream = options.stream ?? pino.destination({ dest: 1, sync: false, minLength: 4096 });
  return pino(
    {
      level: options.level ?? process.env.VERGE_LOG_LEVEL ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}
