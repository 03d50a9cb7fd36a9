import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eventually } from '../helpers/harness.ts';
import { runVerge, type VergeProcess } from '../helpers/verge-process.ts';
import { PASS_THROUGH } from '../helpers/control-fixtures.ts';

// `verge control-plane` as a real process with a SQLite file, and the CLI commands run as real
// processes against it, as an operator would.

const TOKEN = 'cli-test-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'verge-cp-cli-'));
let cp: VergeProcess;
let url: string;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `verge ARGS` as a process of its own (human output, not log lines), to its exit. */
function cli(args: readonly string[], env: Record<string, string>): Promise<Run> {
  const child = spawn(join(ROOT, 'node_modules/.bin/node'), [join(ROOT, 'bin/verge.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** `verge ARGS` with the control plane's URL and token in the environment. */
const verge = (...args: string[]): Promise<Run> => cli(args, { VERGE_ADMIN_URL: url, VERGE_ADMIN_TOKEN: TOKEN });

beforeAll(async () => {
  const config = join(dir, 'control.yaml');
  writeFileSync(config, `controlPlane:\n  listen: { host: 127.0.0.1, port: 0 }\n  token: ${TOKEN}\n  store: { kind: sqlite, file: ./state/control.sqlite }\n`);
  cp = runVerge(['control-plane', '--config', config]);
  const ready = await eventually(() => cp.logs.find((l) => l.type === 'control-plane-ready'), 15_000);
  url = ready.url as string;
  writeFileSync(join(dir, 'index.mjs'), PASS_THROUGH);
  writeFileSync(join(dir, 'v2.mjs'), `${PASS_THROUGH}// v2\n`);
}, 20_000);
afterAll(async () => {
  cp?.child.kill('SIGTERM');
  await cp?.exited;
});

describe('the control plane CLI against `verge control-plane`', () => {
  test('functions create, publish, update-code, alias with weights, distributions save, deploy, locations', async () => {
    const created = await verge('functions', 'create', 'hello', '--code', join(dir, 'index.mjs'), '--timeout-ms', '3000', '--env', 'MODE=test');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/Created verge:function:hello/);
    expect(created.stdout).toMatch(/Timeout ms:\s+3000/);
    expect((await verge('functions', 'publish', 'hello')).stdout).toBe('Published verge:function:hello:1 (version 1)\n');
    expect((await verge('functions', 'update-code', 'hello', '--code', join(dir, 'v2.mjs'))).code).toBe(0);
    expect((await verge('functions', 'publish', 'hello', '--description', 'second')).stdout).toMatch(/version 2/);

    const list = await verge('functions', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+RUNTIME\s+MEMORY MB\s+TIMEOUT MS/);
    expect(list.stdout).toMatch(/^hello\s+nodejs-edge\s+128\s+3000/m);
    const json = JSON.parse((await verge('functions', 'get', 'hello', '--json')).stdout);
    expect(json).toMatchObject({ name: 'hello', settings: { environment: { MODE: 'test' } }, code: { fileName: 'v2.mjs' } });

    expect((await verge('alias', 'create', 'hello', 'live', '--version', '1')).stdout).toBe('Created verge:function:hello:live → version 1\n');
    expect((await verge('alias', 'update', 'hello', 'live', '--weight', '2=0.25')).stdout).toBe('Updated verge:function:hello:live → version 1 (75 %), version 2 (25 %)\n');

    const distFile = join(dir, 'site.yaml');
    writeFileSync(distFile, 'distribution: { id: SITE }\norigins: [{ id: o, url: "http://127.0.0.1:9" }]\nbehaviors:\n  - pathPattern: "*"\n    originId: o\n    functions: { viewer-request: { name: "hello:live" } }\n');
    expect((await verge('distributions', 'save', '--file', distFile, '--comment', 'first')).stdout).toMatch(/Saved SITE revision 1/);

    // An edge node registers its location (the edge API), then the deploy reaches it.
    const reg = await request(`${url}/v1/edge/locations/par-1/register`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(reg.statusCode).toBe(200);
    await reg.body.dump();
    const deployed = await verge('deploy', 'SITE', '--revision', '1');
    expect(deployed.code).toBe(0);
    expect(deployed.stdout).toMatch(/^Deployment \S+ Succeeded: SITE revision 1 \(was none\) to par-1$/m);
    const locations = await verge('locations', '--json');
    expect(JSON.parse(locations.stdout)).toEqual([expect.objectContaining({ name: 'par-1', distributionId: 'SITE', desiredRevision: 1, desiredGeneration: 1 })]);
    const doc = await request(`${url}/v1/edge/locations/par-1/revision?after=0`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await doc.body.json()) as { associations: Record<string, unknown>[] };
    expect(body.associations[0]).toEqual({ 'viewer-request': { qualified: 'hello:live', primary: 'hello:1', additional: { key: 'hello:2', weight: 0.25 }, includeBody: false } });
  }, 60_000);

  test('a directory is zipped by the CLI and bundled by the control plane; update-config shows the new settings', async () => {
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'lib'), { recursive: true });
    writeFileSync(join(pkg, 'app.js'), "const { pick } = require('./lib/pick');\nexports.run = async (e) => pick(e);\n");
    writeFileSync(join(pkg, 'lib/pick.js'), 'exports.pick = (e) => e.Records[0].cf.request;\n');
    const created = await verge('functions', 'create', 'packaged', '--code', pkg, '--handler', 'app.run', '--json');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ settings: { handler: 'app.run' }, code: { format: 'zip', fileName: 'pkg.zip' } });
    const updated = await verge('functions', 'update-config', 'packaged', '--memory-mb', '256', '--description', 'origin side');
    expect(updated.stdout).toMatch(/Memory MB:\s+256/);
    expect(updated.stdout).toMatch(/Description:\s+origin side/);
    // A handler the package does not have is refused against the stored code.
    const wrong = await verge('functions', 'update-config', 'packaged', '--handler', 'missing.run');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/VERGE_ERR_CONTROL_INVALID_CODE: .*no file missing\{/);
  }, 60_000);

  test('errors are printed with the API code, exit 1; usage errors exit 2; without the token, 401', async () => {
    const missing = await verge('functions', 'get', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('verge functions: 404 VERGE_ERR_CONTROL_NOT_FOUND: function "nope" does not exist\n');
    const bad = await verge('distributions', 'save', 'SITE', '--file', join(dir, 'bad.json'));
    expect(bad.code).toBe(2);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ origins: [{ id: 'o', url: 'http://127.0.0.1:9' }], behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'hello:9' } } }] }));
    const unresolved = await verge('distributions', 'save', 'SITE', '--file', join(dir, 'bad.json'));
    expect(unresolved.code).toBe(1);
    expect(unresolved.stderr).toMatch(/VERGE_ERR_CONTROL_INVALID_REVISION: .*behaviors\[0\]\.functions\.viewer-request: hello:9: hello has no published version 9/);
    expect((await verge('deploy', 'SITE')).code).toBe(2);
    expect((await verge('alias', 'update', 'hello', 'live', '--weight', '2=5')).code).toBe(2);
    const anonymous = await cli(['functions', 'list', '--admin-url', url], { VERGE_ADMIN_TOKEN: '', VERGE_ADMIN_URL: '' });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toMatch(/401 VERGE_ERR_ADMIN_UNAUTHORIZED/);
  }, 60_000);
});
