import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, send, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, isAlive, serve, type ServingVerge } from '../helpers/verge-process.ts';

// A worker that dies soon after getting ready (a function that aborts its process on every request,
// under steady traffic) must not make the supervisor fork replacements in a tight loop: each
// replacement waits longer, and the other worker keeps answering. Each death here is a SIGKILL of
// the newest worker as soon as it listens, which is what such a function does to it (an abort by
// heap-oom-aborts-process.js is not certain on every run, and costs seconds of CPU per try).

let origin: TestOrigin;
let verge: ServingVerge | undefined;

beforeAll(async () => {
  origin = await startOrigin();
});
afterAll(async () => {
  if (verge !== undefined && verge.child.exitCode === null) verge.child.kill('SIGKILL');
  await origin?.close();
});

test('workers dying within seconds of getting ready are replaced with growing delays while the others keep serving', async () => {
  verge = await serve(
    configFile(`workers: 2
origins:
  - { id: site, url: "${origin.url}" }
behaviors:
  - { pathPattern: "*", originId: site }
`),
  );
  const listening = () => verge!.logs.filter((l) => l.type === 'listening').length;
  const replaced = () => verge!.logs.filter((l) => l.type === 'worker-replaced');
  const [first, survivor] = verge.pids as [number, number];
  let victim = first;
  const DEATHS = 4;
  for (let i = 1; i <= DEATHS; i++) {
    process.kill(victim, 'SIGKILL');
    const line = await eventually(() => replaced()[i - 1], 15_000);
    victim = line.replacementPid as number;
    // While the replacement waits and loads, the survivor answers (after the moment the kernel takes
    // to close the killed worker's listening socket; see supervision.test.ts).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const statuses = await Promise.all(Array.from({ length: 4 }, async () => (await send(`${verge!.url}/`)).status));
    expect(statuses).toEqual([200, 200, 200, 200]);
    // The replacement is serving: kill it in turn (2 first workers + i replacements listening).
    await eventually(() => listening() >= 2 + i, 15_000);
  }
  expect(replaced().map((l) => [l.wasServing, l.delayMs])).toEqual([
    [true, 100],
    [true, 200],
    [true, 400],
    [true, 800],
  ]);
  expect(String(replaced()[3]!.msg)).toContain('after 800 ms (it died within 10 s of getting ready)');
  expect(isAlive(survivor)).toBe(true);
  expect((await send(`${verge.url}/`)).status).toBe(200);
  expect(verge.logs.filter((l) => l.type === 'workers-cannot-start')).toEqual([]);
  expect(await verge.stop()).toBe(0);
}, 90_000);
