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

/** Sends the child a question ('cpu', 'gc', 'rss', …) and returns its answer, the next message it sends. */
export async function ask<T>(child: Child, question: string): Promise<T> {
  child.proc.send(question);
  const [answer] = (await once(child.proc, 'message')) as [T];
  return answer;
}

export async function cpuMicros(child: Child): Promise<number> {
  const usage = await ask<NodeJS.CpuUsage>(child, 'cpu');
  return usage.user + usage.system;
}

/** The child's main-thread GC pauses so far, in ms (bench/gc-pauses.ts; edge-server.ts and origin-server.ts answer 'gc'). */
export function gcPauses(child: Child): Promise<GcPauses> {
  return ask<GcPauses>(child, 'gc');
}

export async function stop(child: Child): Promise<void> {
  if (child.proc.exitCode !== null) return;
  const exited = once(child.proc, 'exit');
  child.proc.kill('SIGTERM');
  await exited;
}

/** The child's resident set size, in bytes (edge-server.ts answers 'rss'). */
export function rssBytes(child: Child): Promise<number> {
  return ask<number>(child, 'rss');
}
