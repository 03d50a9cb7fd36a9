import { createServer, type Server } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually, send, startOrigin, type TestOrigin } from '../helpers/harness.ts';
import { configFile, isAlive, runVerge, serve, type ServingVerge } from '../helpers/verge-process.ts';

// The supervisor of `verge serve`: real processes, real signals, real HTTP.

let origin: TestOrigin;
const running: ServingVerge[] = [];

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    // /slow lets a test hold a request in flight.
    const delayMs = req.url === '/slow' ? 700 : 0;
    setTimeout(() => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('hello from origin');
    }, delayMs);
  });
});
afterAll(async () => {
  for (const v of running) if (v.child.exitCode === null) v.child.kill('SIGKILL');
  await origin?.close();
});

const taggedFunction = (tag: string) =>
  `exports.handler = async (e) => { const r = e.Records[0].cf.response; r.headers['x-fn-version'] = [{ value: '${tag}' }]; return r; };\n`;

/** A config with one function on viewer-response, written next to its code. */
function config(workers: number | 'auto', tag = 'one'): { file: string; code: string } {
  const file = configFile(`listen: { host: 127.0.0.1, port: 8080 }
workers: ${workers}
origins:
  - { id: site, url: "${origin.url}" }
functions:
  - { name: tagged, code: ./tagged.js }
behaviors:
  - pathPattern: "*"
    originId: site
    functions:
      viewer-response: { name: tagged }
`);
  const code = join(dirname(file), 'tagged.js');
  writeFileSync(code, taggedFunction(tag));
  return { file, code };
}

async function started(file: string, args: string[] = []): Promise<ServingVerge> {
  const verge = await serve(file, args);
  running.push(verge);
  return verge;
}

/** One request on a fresh connection: 'failed' when the connection broke instead of answering. */
const attempt = (url: string) =>
  send(url).then(
    (res) => res.status,
    () => 'failed' as const,
  );

describe('verge serve with workers: 2', () => {
  test('runs two worker processes that share one port and exits 0 on SIGTERM, stopping them all', async () => {
    const verge = await started(config(2).file);
    expect(verge.pids).toHaveLength(2);
    // The watchdog's default: the longest function timeoutMs (the default 5000 here) + 5 s, at least 10 s.
    expect(verge.logs.find((l) => l.type === 'workers-ready')).toMatchObject({ workerStallMs: 10_000 });
    expect(new Set(verge.pids).size).toBe(2);
    for (const pid of verge.pids) expect(isAlive(pid)).toBe(true);
    expect(verge.pids).not.toContain(verge.child.pid);
    const statuses = await Promise.all(Array.from({ length: 10 }, () => attempt(`${verge.url}/`)));
    expect(statuses).toEqual(Array(10).fill(200));
    expect(await verge.stop()).toBe(0);
    for (const pid of verge.pids) expect(isAlive(pid)).toBe(false);
    expect(verge.logs.filter((l) => l.type === 'stopped')).toHaveLength(3); // two workers and the supervisor
  });

  test('SIGTERM lets a request in flight finish before the workers exit', async () => {
    const verge = await started(config(2).file);
    const inFlight = send(`${verge.url}/slow`);
    await eventually(() => origin.seen.some((r) => r.url === '/slow'), 5_000);
    const code = verge.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello from origin');
    expect(await code).toBe(0);
  });

  test('a worker SIGKILLed mid-load is replaced; the node keeps answering and the supervisor logs it', async () => {
    const verge = await started(config(2).file);
    const [victim, survivor] = verge.pids as [number, number];
    const results: { at: number; outcome: number | 'failed' }[] = [];
    let killedAt = Infinity;
    let loading = true;
    // Four clients, each sending one request after another on fresh connections, for the whole test.
    const CLIENTS = 4;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (loading) results.push({ at: Date.now(), outcome: await attempt(`${verge.url}/`) });
    });
    await eventually(() => results.length >= 40, 10_000);
    process.kill(victim, 'SIGKILL');
    killedAt = Date.now();
    const replaced = await eventually(() => verge.logs.find((l) => l.type === 'worker-replaced'), 5_000);
    // Keep the load on until the replacement has served a while too.
    await eventually(() => results.filter((r) => r.at > killedAt + 300 && r.outcome === 200).length >= 40, 10_000);
    loading = false;
    await Promise.all(clients);

    expect(replaced).toMatchObject({ level: 'error', pid: victim, signal: 'SIGKILL', exitCode: null, wasServing: true });
    // Replaced at once, or after 100 ms when it died within 10 s of getting ready (quick-death.test.ts).
    expect([0, 100]).toContain(replaced.delayMs);
    const replacement = replaced.replacementPid as number;
    expect(isAlive(replacement)).toBe(true);
    expect(isAlive(survivor)).toBe(true);
    // Only requests in flight on the dead worker failed: those sent before the kill, or in the moment
    // the kernel takes to tear the killed process's listening socket down (a connection it routed
    // there meanwhile is reset: seen up to ~50 ms after the kill, and once two from one client).
    // Every request sent after that moment was answered.
    const TEARDOWN_MS = 300;
    const failures = results.filter((r) => r.outcome === 'failed');
    for (const f of failures) expect(f.at).toBeLessThan(killedAt + TEARDOWN_MS);
    expect(results.filter((r) => r.at > killedAt + TEARDOWN_MS && r.outcome !== 200)).toEqual([]);
    expect(results.filter((r) => r.outcome !== 200 && r.outcome !== 'failed')).toEqual([]);
    expect(await verge.stop()).toBe(0);
    expect(isAlive(replacement)).toBe(false);
  });

  test('with --watch, every worker picks up an edited function file without a restart', async () => {
    const { file, code } = config(2, 'one');
    const verge = await started(file, ['--watch']);
    expect((await send(`${verge.url}/`)).headers['x-fn-version']).toBe('one');
    writeFileSync(code, taggedFunction('two'));
    await eventually(() => verge.logs.filter((l) => l.type === 'function-reloaded').length === 2, 5_000);
    // Both workers reloaded (two lines above), so whichever one takes a connection answers 'two'.
    const versions = await Promise.all(Array.from({ length: 6 }, async () => (await send(`${verge.url}/`)).headers['x-fn-version']));
    expect(versions).toEqual(Array(6).fill('two'));
    expect(await verge.stop()).toBe(0);
  });
});

describe('verge serve: how many workers', () => {
  test('--workers overrides the config file', async () => {
    const verge = await started(config(2).file, ['--workers', '1']);
    expect(verge.pids).toHaveLength(1);
    expect((await send(`${verge.url}/`)).status).toBe(200);
    expect(await verge.stop()).toBe(0);
  });

  test('a bad --workers value exits 2 and says what is allowed', async () => {
    const run = runVerge(['serve', '--config', config(2).file, '--workers', 'many']);
    expect((await run.exited).code).toBe(2);
    expect(run.stderr()).toContain('--workers must be auto or a whole number from 1 to 256, got "many"');
  });

  test('a bad workers option is reported by its path like every config problem', async () => {
    const run = runVerge(['serve', '--config', config(0).file]);
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('workers: must be "auto" or a whole number from 1 to 256');
  });
});

describe('verge serve: workers that cannot start', () => {
  test('a port in use exits 1 with the clear message, without retrying', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = runVerge(['serve', '--config', config(2).file, '--port', String(port)]);
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toContain(`verge serve: cannot listen on 127.0.0.1:${port} (EADDRINUSE). Is another server using it? Pick another with --port N.`);
      expect(run.logs.filter((l) => l.type === 'worker-replaced')).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  test('a second verge serve on the port of a running one exits 1 instead of sharing its traffic', async () => {
    const first = await started(config(2).file);
    const port = new URL(first.url).port;
    const second = runVerge(['serve', '--config', config(2).file, '--port', port]);
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toContain(`verge serve: cannot listen on 127.0.0.1:${port} (EADDRINUSE).`);
    expect((await send(`${first.url}/`)).status).toBe(200);
    expect(await first.stop()).toBe(0);
  });

  test('replacements that die at startup are retried with growing delays, then the supervisor exits 1 saying why', async () => {
    const { file, code } = config(1);
    const verge = await started(file);
    // The function's file disappears: a replacement worker cannot load the configuration any more.
    rmSync(code);
    process.kill(verge.pids[0]!, 'SIGKILL');
    const { code: exitCode } = await verge.exited;
    expect(exitCode).toBe(1);
    expect(verge.stderr()).toContain('verge serve: workers cannot start: 5 workers in a row exited before they could serve');
    expect(verge.stderr()).toContain('file not found');
    const replaced = verge.logs.filter((l) => l.type === 'worker-replaced');
    // The killed worker had been serving: replaced at once, or after 100 ms when that was within 10 s
    // of its getting ready (quick-death.test.ts). Then each failed start doubles the delay.
    expect([0, 100]).toContain(replaced[0]!.delayMs);
    expect(replaced.slice(1).map((l) => l.delayMs)).toEqual([100, 200, 400, 800]);
    expect(replaced.slice(1).every((l) => l.wasServing === false && String(l.startError).includes('file not found'))).toBe(true);
    expect(verge.logs.find((l) => l.type === 'workers-cannot-start')).toMatchObject({ level: 'fatal' });
  });
});

describe('the re-exec wrapper (bin/verge.js without --no-node-snapshot)', () => {
  test('when the wrapper is SIGKILLed, the supervisor it started drains and exits with its workers instead of living on', async () => {
    const origin = await startOrigin();
    try {
      const verge = await serve(configFile(`workers: 1\norigins:\n  - { id: site, url: "${origin.url}" }\nbehaviors:\n  - { pathPattern: "*", originId: site }\n`));
      expect((await send(`${verge.url}/`)).status).toBe(200);
      verge.child.kill('SIGKILL');
      // stdout closes once the supervisor and its workers, which share it, have all exited.
      await Promise.race([verge.exited, new Promise((_, reject) => setTimeout(() => reject(new Error('the supervisor lived on')), 15_000))]);
      for (const pid of verge.pids) expect(isAlive(pid)).toBe(false);
      expect(verge.logs.some((l) => l.type === 'signal' && l.signal === 'SIGTERM')).toBe(true);
    } finally {
      await origin.close();
    }
  }, 30_000);
});
