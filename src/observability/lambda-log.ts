import type { EventType } from '../config/types.ts';
import type { InvocationReport } from '../runtime/function-runtime.ts';
import { infoLineWriter, q } from './json-line.ts';
import type { Logger } from './logger.ts';

export interface InvocationLogFields {
  readonly function: string;
  readonly version: string;
  readonly eventType: EventType;
  readonly requestId: string;
}

/** Lambda's console levels as pino levels. */
const LEVELS: Readonly<Record<string, 'info' | 'warn' | 'error' | 'debug'>> = { info: 'info', warn: 'warn', error: 'error', debug: 'debug' };

/** pino's numeric level for debug. */
const DEBUG = 20;

/**
 * The three lines Lambda writes around every invocation, with the same wording in `msg` so existing
 * log tooling keeps working, and the figures as fields for machines. REPORT carries everything START
 * and END say (request id, version) plus the figures, so START and END are written at debug level:
 * at info each line costs ~5 µs of the node's CPU, on every hook call of every request.
 */
export function logStart(logger: Logger, f: InvocationLogFields): void {
  if (logger.levelVal <= DEBUG) logger.debug({ type: 'START', ...f }, `START RequestId: ${f.requestId} Version: ${f.version}`);
}

export function logEndAndReport(logger: Logger, f: InvocationLogFields, r: InvocationReport, outcome: string): void {
  if (logger.levelVal <= DEBUG) logger.debug({ type: 'END', ...f }, `END RequestId: ${f.requestId}`);
  const init = r.initDurationMs === undefined ? '' : `\tInit Duration: ${r.initDurationMs.toFixed(2)} ms`;
  const msg = `REPORT RequestId: ${f.requestId}\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedDurationMs} ms\tMemory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB${init}`;
  const write = infoLineWriter(logger);
  if (write === undefined) {
    if (logger.isLevelEnabled('info')) logger.info({ type: 'REPORT', ...f, ...reportFigures(r), outcome }, msg);
    return;
  }
  const fig = reportFigures(r);
  write(
    `"type":"REPORT","function":${q(f.function)},"version":${q(f.version)},"eventType":"${f.eventType}","requestId":${q(f.requestId)},` +
      `"durationMs":${fig.durationMs},"billedDurationMs":${fig.billedDurationMs},"memorySizeMb":${fig.memorySizeMb},"maxMemoryUsedMb":${fig.maxMemoryUsedMb},` +
      `${fig.initDurationMs === undefined ? '' : `"initDurationMs":${fig.initDurationMs},`}"cpuTimeUs":${fig.cpuTimeUs},"outcome":${q(outcome)}`,
    msg,
  );
}

function reportFigures(r: InvocationReport) {
  return {
    durationMs: round2(r.durationMs),
    billedDurationMs: r.billedDurationMs,
    memorySizeMb: r.memorySizeMb,
    maxMemoryUsedMb: r.maxMemoryUsedMb,
    initDurationMs: r.initDurationMs === undefined ? undefined : round2(r.initDurationMs),
    cpuTimeUs: Math.round(r.cpuTimeUs),
  };
}

/** One console.* line from inside a function, tagged with the request it belongs to. */
export function logFunctionConsole(logger: Logger, f: InvocationLogFields, level: string, line: string): void {
  logger[LEVELS[level] ?? 'info']({ type: 'function-log', ...f }, line);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
