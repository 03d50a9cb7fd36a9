// Bench edge node: one Verge node from a config passed as JSON (or a JSON file's path) in argv[2]. Writes "ready PORT" on stderr (stdout carries its JSON logs),
// answers 'cpu' messages with process.cpuUsage() so the runner can compute CPU per request, 'gc' with its GC pauses so far (gc-pauses.ts),
// and 'rss' with its RSS in bytes.
import { readFileSync } from 'node:fs';
import { parseConfig } from '../src/config/load-config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startEdgeNode } from '../src/proxy/edge-node.ts';
import { trackGcPauses } from './gc-pauses.ts';

// A config of 1,000 functions is too long for one argument (E2BIG): then argv[2] is a JSON file's path.
const arg = process.argv[2]!;
const raw = JSON.parse(arg.startsWith('{') ? arg : readFileSync(arg, 'utf8')) as Record<string, unknown>;
const config = parseConfig(raw, import.meta.dirname, 'bench config');
const node = await startEdgeNode(config, { logger: createLogger({ level: process.env.VERGE_LOG_LEVEL ?? 'info' }) });
const gcPauses = trackGcPauses();
process.stderr.write(`ready ${node.port}\n`);
process.on('message', (msg) => {
  if (msg === 'cpu') process.send?.(process.cpuUsage());
  if (msg === 'gc') process.send?.(gcPauses());
  if (msg === 'rss') process.send?.(process.memoryUsage().rss);
  if (msg === 'stats') process.send?.({ warmIsolates: node.runtime.stats().warmIsolates });
});
process.on('SIGTERM', () => void node.close(1000).then(() => process.exit(0)));
