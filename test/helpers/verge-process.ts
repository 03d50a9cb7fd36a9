import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, send, type LogLine, type RawResponse } from './harness.ts';

// `verge serve` as a user runs it (bin/verge.js in its own process: supervisor and workers), for
// the tests of what only whole processes show: workers dying, being replaced, draining on SIGTERM.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const VERGE = join(ROOT, 'bin/verge.js');

export interface VergeProcess {
  readonly child: ChildProcess;
  /** Every JSON line on stdout so far (supervisor and workers share it). */
  readonly logs: LogLine[];
  /** Everything on stderr so far. */
  stderr(): string;
  /** Settles with the exit code (or signal) when the supervisor exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServingVerge extends VergeProcess {
  readonly url: string;
  /** The worker pids from the supervisor's `workers-ready` line. */
  readonly pids: readonly number[];
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** A temporary directory holding `verge.yaml` with `yaml` as its content; returns the file's path. */
export function configFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'verge-serve-'));
  const file = join(dir, 'verge.yaml');
  writeFileSync(file, yaml);
  return file;
}

/** Runs `verge <args>` and collects its output; resolves at once (see `serve` to wait for readiness). */
export function runVerge(args: readonly string[]): VergeProcess {
  const child = spawn(NODE, [VERGE, ...args], { cwd: ROOT, env: { ...process.env, VERGE_LOG_LEVEL: 'info' } });
  const logs: LogLine[] = [];
  let partial = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      // A line that is not JSON would mean two processes' lines interleaved: fail loudly.
      if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, logs, stderr: () => stderr, exited };
}

/** `verge serve --config FILE --port 0 …`, resolved once the supervisor reports every worker ready. */
export async function serve(config: string, extraArgs: readonly string[] = []): Promise<ServingVerge> {
  const run = runVerge(['serve', '--config', config, '--port', '0', ...extraArgs]);
  let exitedEarly = false;
  void run.exited.then(() => (exitedEarly = true));
  const ready = await eventually(() => {
    if (exitedEarly) throw new Error(`verge serve exited before it was ready: ${run.stderr()}`);
    return run.logs.find((l) => l.type === 'workers-ready');
  }, 15_000);
  return {
    ...run,
    url: ready.url as string,
    pids: ready.pids as number[],
    stop: async () => {
      run.child.kill('SIGTERM');
      return (await run.exited).code;
    },
  };
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The answer to one request on a fresh connection, or 'connection broke' when the worker holding it
 * died (the supervision tests count these).
 */
export function attempt(url: string): Promise<RawResponse | 'connection broke'> {
  return send(url).then(
    (res) => res,
    () => 'connection broke' as const,
  );
}
