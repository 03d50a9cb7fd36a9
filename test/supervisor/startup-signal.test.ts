import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, isAlive, runVerge, type VergeProcess } from '../helpers/verge-process.ts';

// SIGTERM while the workers are still starting: the supervisor must stop them and exit 0 at once,
// not wait for every worker to get ready first (which a slow cold start can take 30 s, and a worker
// that never gets ready would take forever).

let origin: TestOrigin;
let run: VergeProcess | undefined;

beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  // On failure, leave no supervisor or (stopped) worker behind: SIGKILL the whole tree.
  if (run !== undefined && run.child.exitCode === null) for (const pid of processTree(run.child.pid!).reverse()) process.kill(pid, 'SIGKILL');
  await origin?.close();
});

/**
 * The pids of the worker processes descended from `pid` (bin/verge.js runs the supervisor as its
 * child; esbuild's service is another child, not a worker).
 */
function workersUnder(pid: number): number[] {
  const rows = processRows();
  const tree = new Set(processTree(pid, rows));
  return rows.filter((r) => tree.has(r.pid) && r.args.includes('serve-worker')).map((r) => r.pid);
}

function processRows(): { pid: number; ppid: number; args: string }[] {
  return execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length >= 3)
    .map(([p, pp, ...args]) => ({ pid: Number(p), ppid: Number(pp), args: args.join(' ') }));
}

/** `pid` and its descendants, parents first. */
function processTree(pid: number, rows = processRows()): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const r of rows) if (r.ppid === tree[i] && !tree.includes(r.pid)) tree.push(r.pid);
  return tree;
}

test('SIGTERM during a slow startup stops the starting workers and exits 0 promptly', async () => {
  const file = configFile(`workers: 2
origins:
  - { id: site, url: "${origin.url}" }
behaviors:
  - { pathPattern: "*", originId: site }
`);
  run = runVerge(['serve', '--config', file, '--port', '0']);
  const workers = await eventually(() => workersUnder(run!.child.pid!).length > 0 && workersUnder(run!.child.pid!), 15_000);
  // The worker is frozen (SIGSTOP) before it can get ready: a startup that never ends, whatever
  // holds it (a file read that blocks, a machine swapping); it stays frozen, so only SIGKILL ends it.
  for (const pid of workers) process.kill(pid, 'SIGSTOP');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  expect(run.logs.filter((l) => l.type === 'workers-ready')).toEqual([]);
  const signalledAt = Date.now();
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  expect({ code, stderr: run.stderr() }).toEqual({ code: 0, stderr: '' });
  expect(Date.now() - signalledAt).toBeLessThan(10_000);
  for (const pid of workers) expect(isAlive(pid)).toBe(false);
  expect(run.logs.find((l) => l.type === 'stopped')).toMatchObject({ signal: 'SIGTERM' });
}, 60_000);
