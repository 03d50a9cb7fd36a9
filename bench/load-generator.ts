// Bench load generator in its own process, so it can be pinned to a core (taskset) apart from the
// node under test. argv[2] is JSON { url, connections, durationS, rps? } (rps: a fixed overall rate
// instead of as fast as possible); prints one JSON line with autocannon's figures and this process's
// own CPU time.
import autocannon from 'autocannon';

const { url, connections, durationS, rps } = JSON.parse(process.argv[2]!) as { url: string; connections: number; durationS: number; rps?: number };
const before = process.cpuUsage();
const r = await autocannon({ url, connections, duration: durationS, pipelining: 1, ...(rps ? { overallRate: rps } : {}) });
const cpu = process.cpuUsage(before);
process.stdout.write(
  `${JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx, cpuUs: cpu.user + cpu.system })}\n`,
);
