import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, send, type LogLine } from '../helpers/harness.ts';
import { runVerge, type VergeProcess } from '../helpers/verge-process.ts';

// `npm start` (verge serve --demo) is the embedded default of issue 5 §3: a control plane and one
// edge location in one process, the control plane seeded from the demo config, the location
// following it. Its state goes to VERGE_DEMO_STATE_DIR here, not the repository's .verge/.

const stateDir = mkdtempSync(join(tmpdir(), 'verge-demo-state-'));
// This file runs in a test worker of its own: the child `verge serve` inherits it.
process.env.VERGE_DEMO_STATE_DIR = stateDir;
let run: VergeProcess;
let logs: LogLine[] = [];

function start(): void {
  run = runVerge(['serve', '--demo', '--port', '0', '--admin-port', '0', '--workers', '1']);
  logs = run.logs;
}

async function stop(): Promise<void> {
  if (run.child.exitCode !== null) return;
  run.child.kill('SIGTERM');
  await run.exited;
}

beforeAll(() => start());
afterAll(() => stop());

test('npm start seeds the control plane from the demo config and the location serves what it deploys', async () => {
  const seeded = await eventually(() => logs.find((l) => l.type === 'demo-seeded'), 30_000);
  expect(seeded).toMatchObject({ distributionId: 'VERGELOCAL', revision: 1, deployed: true, versions: { 'security-headers': 1, redirect: 1 } });
  await eventually(() => logs.find((l) => l.type === 'revision-served' && l.revision === 1), 30_000);
  const edgeUrl = (await eventually(() => logs.find((l) => l.type === 'workers-ready'), 30_000)).url as string;
  const adminUrl = logs.find((l) => l.type === 'admin-listening')!.url as string;

  // The functions are the control plane's, as version 1 of each.
  const fns = JSON.parse(await (await request(`${adminUrl}/v1/functions`)).body.text()) as { items: { name: string }[] };
  expect(fns.items.map((f) => f.name)).toEqual(['ab-test', 'cache-control', 'origin-by-header', 'redirect', 'security-headers', 'spa-rewrite']);
  const redirect = await send(`${edgeUrl}/old-page`);
  expect([redirect.status, redirect.headers['x-cache']]).toEqual([301, 'LambdaGeneratedResponse from verge']);
  expect((await send(`${edgeUrl}/`)).headers['strict-transport-security']).toMatch(/max-age=/);

  // A second start changes nothing it need not: the same versions, a revision only for the new demo-site address.
  await stop();
  start();
  const again = await eventually(() => logs.find((l) => l.type === 'demo-seeded'), 30_000);
  expect(again.versions).toEqual(seeded.versions);
  expect(again.revision).toBe(2);
}, 90_000);
