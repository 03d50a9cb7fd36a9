// One autocannon run against 127.0.0.1 with the measured process's CPU time read around it: the
// figures every load scenario of the bench reports (run.ts, cache-hit.ts).
import autocannon from 'autocannon';
import { cpuMicros, type Child } from './children.ts';

export interface MeasuredLoad {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
  /** The measured process's CPU time (user + system, all threads) per completed request. */
  cpuUsPerReq: number;
}

export async function measuredLoad(url: string, measured: Child, options: { connections: number; durationS: number; overallRate?: number | undefined }): Promise<MeasuredLoad> {
  const before = await cpuMicros(measured);
  const r = await autocannon({ url, connections: options.connections, duration: options.durationS, pipelining: 1, ...(options.overallRate ? { overallRate: options.overallRate } : {}) });
  const after = await cpuMicros(measured);
  const requests = r.requests.total;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuUsPerReq: requests > 0 ? (after - before) / requests : NaN,
  };
}
