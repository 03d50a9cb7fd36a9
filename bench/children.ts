// The bench's child processes (origin, edge nodes): start one and wait for its port, ask it for its
// CPU time or RSS, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { GcPauses } from './gc-pauses.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export interface Child {
  readonly proc: ChildProcess;
  readonly port: number;
}

export async function startChild(script: string, args: string[], readyFrom: 'stdout' | 'stderr'): Promise<Child> {
  const proc = fork(here(script), args, {
    execArgv: ['--no-node-snapshot'],
    stdio: ['ignore', readyFrom === 'stdout' ? 'pipe' : 'ignore', readyFrom === 'stderr' ? 'pipe' : 'inherit', 'ipc'],
    env: { ...process.env },
  });
  const stream = readyFrom === 'stdout' ? proc.stdout! : proc.stderr!;
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /(?:ready )?(\d+)\n/.exec(buffered);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready: ${buffered}`)));
  });
  stream.resume();
  return { proc, port };
}

export async function cpuMicros(child: Child): Promise<number> {
  child.proc.send('cpu');
  const [usage] = (await once(child.proc, 'message')) as [NodeJS.CpuUsage];
  return usage.user + usage.system;
}

/** The child's main-thread GC pauses so far, in ms (bench/gc-pauses.ts; edge-server.ts and origin-server.ts answer 'gc'). */
export async function gcPauses(child: Child): Promise<GcPauses> {
  child.proc.send('gc');
  const [pauses] = (await once(child.proc, 'message')) as [GcPauses];
  return pauses;
}

export async function stop(child: Child): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = once(child.proc, 'exit');
  child.proc.kill('SIGTERM');
  await exited;
}

/** The child's resident set size, in bytes (edge-server.ts answers 'rss'). */
export async function rssBytes(child: Child): Promise<number> {
  child.proc.send('rss');
  const [rss] = (await once(child.proc, 'message')) as [number];
  return rss;
}
