// One autocannon run against 127.0.0.1 with the measured process's CPU time read around it: the
// figures every load scenario of the bench reports (run.ts, cache-hit.ts).
import autocannon from 'autocannon';
import { cpuMicros, gcPauses, type Child } from './children.ts';

export interface MeasuredLoad {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** The measured process's CPU time (user + system, all threads) per completed request. */
  cpuUsPerReq: number;
  /** Its main thread's GC pauses (scavenges, full collections) per 1,000 completed requests, in ms. */
  gcMsPer1kReq: number;
}

export async function measuredLoad(url: string, measured: Child, options: { connections: number; durationS: number; overallRate?: number | undefined }): Promise<MeasuredLoad> {
  const gcBefore = await gcPauses(measured);
  const before = await cpuMicros(measured);
  const r = await autocannon({ url, connections: options.connections, duration: options.durationS, pipelining: 1, ...(options.overallRate ? { overallRate: options.overallRate } : {}) });
  const after = await cpuMicros(measured);
  const gcAfter = await gcPauses(measured);
  const requests = r.requests.total;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuUsPerReq: requests > 0 ? (after - before) / requests : NaN,
    gcMsPer1kReq: requests > 0 ? (1000 * (gcAfter.minorMs + gcAfter.majorMs - gcBefore.minorMs - gcBefore.majorMs)) / requests : NaN,
  };
}
