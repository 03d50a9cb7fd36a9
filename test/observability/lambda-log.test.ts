import { expect, test } from 'vitest';
import { logEndAndReport } from '../../src/observability/lambda-log.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { InvocationReport } from '../../src/runtime/function-runtime.ts';

// The REPORT line is built from parts on the hot path (observability/lambda-log.ts), its `msg`
// written already escaped. Whatever the names and the request id hold, the line must be valid JSON
// whose fields and message say exactly what Lambda's REPORT line says.

function reportLine(requestId: string, fn: string, initDurationMs?: number): Record<string, unknown> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', stream: { write: (s: string) => lines.push(s) } });
  const report: InvocationReport = { durationMs: 1.25, billedDurationMs: 2, memorySizeMb: 128, maxMemoryUsedMb: 9, cpuTimeUs: 3.6, initDurationMs };
  logEndAndReport(logger, { function: fn, version: '$LATEST', eventType: 'origin-response', requestId }, report, 'ok');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

test.each([
  ['plain', 'ab12-XY', 'fn'],
  ['quotes and backslashes', 'a"b\\c', 'f"n\\'],
  ['tab, newline and U+2028', 'a\tb\nc\u2028d', 'f\tn'],
  ['non-ASCII and a lone surrogate', 'é€😀\ud800', 'ü'],
])('a REPORT line with %s in the request id and function name parses back to the same values', (_label, requestId, fn) => {
  const line = reportLine(requestId, fn);
  expect(line).toMatchObject({ type: 'REPORT', function: fn, version: '$LATEST', eventType: 'origin-response', durationMs: 1.25, cpuTimeUs: 4, outcome: 'ok' });
  // A lone surrogate cannot survive JSON (it comes back as U+FFFD or its escape), so compare through the same path.
  expect(line.requestId).toBe(JSON.parse(JSON.stringify(requestId)));
  expect(line.msg).toBe(`REPORT RequestId: ${JSON.parse(JSON.stringify(requestId))}\tDuration: 1.25 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB`);
});

test('a cold start adds Init Duration to the message and the fields', () => {
  const line = reportLine('r-1', 'fn', 12.3456);
  expect(line.initDurationMs).toBe(12.35);
  expect(line.msg).toBe('REPORT RequestId: r-1\tDuration: 1.25 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 9 MB\tInit Duration: 12.35 ms');
});

test('the cached part of the line follows the function, the version and the event', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', stream: { write: (s: string) => lines.push(s) } });
  const report: InvocationReport = { durationMs: 1, billedDurationMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 9, cpuTimeUs: 1, initDurationMs: undefined };
  for (const [fn, version, eventType] of [['a', '1', 'viewer-request'], ['a', '2', 'viewer-request'], ['a', '1', 'viewer-response'], ['b', '1', 'viewer-request']] as const) {
    logEndAndReport(logger, { function: fn, version, eventType, requestId: 'r' }, report, 'ok');
  }
  expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => `${l.function} ${l.version} ${l.eventType}`)).toEqual(['a 1 viewer-request', 'a 2 viewer-request', 'a 1 viewer-response', 'b 1 viewer-request']);
});

test("a batch's calls share one report: each line keeps its own request id and outcome, and another report its own figures", () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', stream: { write: (s: string) => lines.push(s) } });
  const shared: InvocationReport = { durationMs: 0.5, billedDurationMs: 1, memorySizeMb: 128, maxMemoryUsedMb: 3, cpuTimeUs: 4.4, initDurationMs: undefined };
  const next: InvocationReport = { durationMs: 2.5, billedDurationMs: 3, memorySizeMb: 128, maxMemoryUsedMb: 4, cpuTimeUs: 7, initDurationMs: undefined };
  const f = (requestId: string) => ({ function: 'fn', version: '1', eventType: 'viewer-request' as const, requestId });
  logEndAndReport(logger, f('r-1'), shared, 'ok');
  logEndAndReport(logger, f('r-2'), shared, 'ok');
  logEndAndReport(logger, f('r-3'), shared, 'VERGE_ERR_FUNCTION_THREW');
  logEndAndReport(logger, f('r-4'), next, 'ok');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(parsed.map((l) => [l.requestId, l.outcome, l.durationMs, l.cpuTimeUs])).toEqual([
    ['r-1', 'ok', 0.5, 4],
    ['r-2', 'ok', 0.5, 4],
    ['r-3', 'VERGE_ERR_FUNCTION_THREW', 0.5, 4],
    ['r-4', 'ok', 2.5, 7],
  ]);
  expect(parsed.map((l) => l.msg)).toEqual([
    'REPORT RequestId: r-1\tDuration: 0.50 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB',
    'REPORT RequestId: r-2\tDuration: 0.50 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB',
    'REPORT RequestId: r-3\tDuration: 0.50 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 3 MB',
    'REPORT RequestId: r-4\tDuration: 2.50 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 4 MB',
  ]);
});
