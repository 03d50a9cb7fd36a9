import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/**
 * Main-thread GC pauses of this process (young-generation scavenges and full collections), summed
 * from the `gc` performance entries. The bench's servers answer a 'gc' message with the totals so far,
 * so a load run can show what garbage collection cost per request: a change that lets per-request
 * objects outlive the young generation (see runtime/call-batch.ts) shows here first, as pauses of
 * several ms per scavenge. Pauses only: the work V8's helper threads do meanwhile is in the CPU time.
 */
export interface GcPauses {
  readonly minorMs: number;
  readonly majorMs: number;
}

export function trackGcPauses(): () => GcPauses {
  let minorMs = 0;
  let majorMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorMs += entry.duration;
      else majorMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => ({ minorMs, majorMs });
}
