import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, send, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, isAlive, runVerge, type VergeProcess } from '../helpers/verge-process.ts';

// Whatever reads the node's stdout stops reading for longer than workerStallMs (a paused pipe, a
// stuck log shipper): the workers must keep serving and heartbeating, not block in their log writes
// and be SIGKILLed by the watchdog one after another.

let origin: TestOrigin;
let run: VergeProcess | undefined;

beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  if (run !== undefined && run.child.exitCode === null) run.child.kill('SIGKILL');
  await origin?.close();
});

test('a stdout reader that stalls past workerStallMs costs no worker and no request', async () => {
  const STALL_MS = 2000;
  const MAX_REQUESTS = 4000;
  run = runVerge([
    'serve',
    '--port',
    '0',
    '--config',
    configFile(`workers: 2
workerStallMs: ${STALL_MS}
origins:
  - { id: site, url: "${origin.url}" }
behaviors:
  - { pathPattern: "*", originId: site }
`),
  ]);
  const ready = await eventually(() => run!.logs.find((l) => l.type === 'workers-ready'), 15_000);
  const url = ready.url as string;
  const pids = ready.pids as number[];
  // Stop reading: the pipe (64 KB) and this side's buffer fill with access-log lines, after which
  // a write to stdout can no longer complete.
  run.child.stdout!.pause();
  const statuses: (number | 'failed')[] = [];
  const until = Date.now() + 2 * STALL_MS + 1000;
  await Promise.all(
    Array.from({ length: 6 }, async () => {
      // At most MAX_REQUESTS: their lines (~700 bytes each) stay under the 4 MB a process holds
      // for a stalled reader, so none are dropped by design; the time keeps the stall past
      // workerStallMs whatever the machine's speed.
      while (Date.now() < until && statuses.length < MAX_REQUESTS) {
        // (Before asynchronous log writes, these hung: the workers blocked writing to stdout.)
        statuses.push(await send(`${url}/some/fairly/long/path/to/make/each/access/log/line/longer?with=a&query=string`).then((r) => r.status, () => 'failed' as const));
      }
    }),
  );
  // The reader stays stalled past 2 × workerStallMs even when the requests ended sooner.
  await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
  expect(statuses.length).toBeGreaterThan(400); // enough lines to fill the pipe many times over
  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  run.child.stdout!.resume();
  // The lines held meanwhile (under the 4 MB each process may hold) arrive once the reader is back.
  await eventually(() => run!.logs.filter((l) => l.type === 'access').length >= statuses.length, 10_000);
  expect(run.logs.filter((l) => l.type === 'log-lines-dropped')).toEqual([]);
  expect(run.logs.filter((l) => l.type === 'worker-stalled' || l.type === 'worker-replaced')).toEqual([]);
  for (const pid of pids) expect(isAlive(pid)).toBe(true);
  run.child.kill('SIGTERM');
  expect((await run.exited).code).toBe(0);
}, 60_000);
