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
  const write = infoLineWriter(logger);
  if (write === undefined) {
    if (logger.isLevelEnabled('info')) logger.info({ type: 'REPORT', ...f, ...reportFigures(r), outcome }, reportMessage(f.requestId, r));
    return;
  }
  // Written on every function call, so built from parts: the fields that repeat for a function
  // version and event come from a cache, and `msg` is written already escaped. JSON escapes a string
  // one character at a time, so the message's escaped form is its parts' escaped forms joined: the
  // request id's as in its own field, the rest's made once per report (reportParts). The line is the
  // one JSON.stringify(msg) made (0.42 µs a line against 0.83 µs, measured here). The calls of a
  // batch share one report (FunctionRuntime.invokeMany), so the figures around the request id are
  // formatted once per report and outcome (0.31 → 0.18 µs a line for batches of 10, measured here).
  const requestId = q(f.requestId);
  const parts = reportParts(r, outcome);
  write(`${reportHead(f)}${requestId}${parts[0]}${requestId.slice(1, -1)}${parts[1]}`);
}

/** The REPORT line's text after the request id field and after the request id in `msg`; the last one kept. */
let lastParts: { report: InvocationReport; outcome: string; parts: readonly [string, string] } | undefined;
function reportParts(r: InvocationReport, outcome: string): readonly [string, string] {
  if (lastParts !== undefined && lastParts.report === r && lastParts.outcome === outcome) return lastParts.parts;
  const fig = reportFigures(r);
  const parts = [
    `,"durationMs":${fig.durationMs},"billedDurationMs":${fig.billedDurationMs},"memorySizeMb":${fig.memorySizeMb},"maxMemoryUsedMb":${fig.maxMemoryUsedMb},` +
      `${fig.initDurationMs === undefined ? '' : `"initDurationMs":${fig.initDurationMs},`}"cpuTimeUs":${fig.cpuTimeUs},"outcome":${outcome === 'ok' ? '"ok"' : q(outcome)},` +
      `"msg":"REPORT RequestId: `,
    // The message after the request id, escaped as JSON (its opening quote dropped, its closing one kept).
    JSON.stringify(reportMessageTail(r)).slice(1),
  ] as const;
  lastParts = { report: r, outcome, parts };
  return parts;
}

/** Lambda's REPORT message. */
function reportMessage(requestId: string, r: InvocationReport): string {
  return `REPORT RequestId: ${requestId}${reportMessageTail(r)}`;
}

/** Lambda's REPORT message after the request id. */
function reportMessageTail(r: InvocationReport): string {
  const init = r.initDurationMs === undefined ? '' : `\tInit Duration: ${r.initDurationMs.toFixed(2)} ms`;
  return `\tDuration: ${r.durationMs.toFixed(2)} ms\tBilled Duration: ${r.billedDurationMs} ms\tMemory Size: ${r.memorySizeMb} MB\tMax Memory Used: ${r.maxMemoryUsedMb} MB${init}`;
}

/**
 * The REPORT line's fields up to the request id, per function, version and event. The last one is
 * kept apart: a batch's calls are one version's, one after another, and comparing three strings that
 * are the same objects each time is cheaper than making a key to look up (~0.3 µs). The map is
 * replaced when full: versions come and go with deployments.
 */
let reportHeads = new Map<string, string>();
const MAX_REPORT_HEADS = 1024;
let last: { fn: string; version: string; eventType: string; head: string } | undefined;
function reportHead(f: InvocationLogFields): string {
  if (last !== undefined && last.fn === f.function && last.version === f.version && last.eventType === f.eventType) return last.head;
  const key = `${f.function}\n${f.version}\n${f.eventType}`;
  let head = reportHeads.get(key);
  if (head === undefined) {
    // A new Map rather than clear(): a long-lived Map's dropped table keeps its entries reachable from
    // old space (see runtime/call-batch.ts).
    if (reportHeads.size >= MAX_REPORT_HEADS) reportHeads = new Map();
    head = `"type":"REPORT","function":${q(f.function)},"version":${q(f.version)},"eventType":${q(f.eventType)},"requestId":`;
    reportHeads.set(key, head);
  }
  last = { fn: f.function, version: f.version, eventType: f.eventType, head };
  return head;
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
