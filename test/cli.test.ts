import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { send, startOrigin, type TestOrigin } from './helpers/harness.ts';

// The `verge` command as a user runs it: a real process, its exit code, stdout and stderr.

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const VERGE = join(ROOT, 'bin/verge.js');

let dir: string;
let origin: TestOrigin;
const running: ChildProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verge-cli-'));
  origin = await startOrigin();
  writeFileSync(join(dir, 'mark.js'), `exports.handler = async (e) => { const r = e.Records[0].cf.request; r.headers['x-through-cli'] = [{ value: 'yes' }]; return r; };\n`);
  writeFileSync(
    join(dir, 'good.yaml'),
    `listen: { host: 127.0.0.1, port: 8080 }
origins:
  - id: site
    url: ${origin.url}
functions:
  - { name: mark, code: ./mark.js, timeoutMs: 2000 }
behaviors:
  - pathPattern: "*"
    originId: site
    functions:
      viewer-request: { name: mark }
`,
  );
  writeFileSync(
    join(dir, 'bad.yaml'),
    `listen: { host: 127.0.0.1, port: 99999 }
origins:
  - id: site
    url: ftp://example.com
functions:
  - { name: mark, code: ./missing.js, timeoutMs: 8000 }
behaviors:
  - pathPattern: "*"
    originId: nowhere
    functions:
      viewer-request: { name: mark }
      viewer-response: { name: ghost }
`,
  );
});
afterAll(async () => {
  for (const p of running) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function verge(args: string[]): ChildProcess {
  const child = spawn(NODE, [VERGE, ...args], { cwd: ROOT, env: { ...process.env, VERGE_LOG_LEVEL: 'info' } });
  running.push(child);
  return child;
}

function finished(child: ChildProcess): Promise<Run> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('verge --help', () => {
  test('exits 0 and prints the usage', async () => {
    const run = await finished(verge(['--help']));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage:');
    expect(run.stdout).toContain('verge serve --config FILE');
  });

  test('an unknown command exits non-zero and names the command', async () => {
    const run = await finished(verge(['sevre']));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('unknown command "sevre"');
  });

  test('serve without --config exits non-zero and says what is missing', async () => {
    const run = await finished(verge(['serve']));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--config');
  });
});

describe('verge serve --config BAD.yaml', () => {
  test('exits non-zero and lists every problem by its option path', async () => {
    const run = await finished(verge(['serve', '--config', join(dir, 'bad.yaml')]));
    expect(run.code).not.toBe(0);
    for (const path of ['listen.port', 'origins[0].url', 'functions[0].code', 'functions[0].timeoutMs', 'behaviors[0].originId', 'behaviors[0].functions.viewer-response.name']) {
      expect(run.stderr, path).toContain(`${path}:`);
    }
    expect(run.stdout).not.toContain('listening');
  });

  test('a config file that does not exist exits non-zero and names the file', async () => {
    const run = await finished(verge(['serve', '--config', join(dir, 'nope.yaml')]));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('nope.yaml');
  });
});

describe('verge serve --config GOOD.yaml --port 0', () => {
  test('starts, logs a listening line, serves a request through its function, and exits 0 on SIGTERM', async () => {
    const child = verge(['serve', '--config', join(dir, 'good.yaml'), '--port', '0']);
    const done = finished(child);
    let buffered = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line; stdout so far: ${buffered}`)), 10_000);
      child.stdout!.on('data', (d: Buffer) => {
        buffered += d.toString();
        for (const line of buffered.split('\n')) {
          if (!line.startsWith('{')) continue;
          try {
            const parsed = JSON.parse(line) as { type?: string; url?: string };
            if (parsed.type === 'listening' && parsed.url) {
              clearTimeout(timer);
              resolve(parsed.url);
            }
          } catch {
            // a line still being written
          }
        }
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toBe('http://127.0.0.1:8080');

    const res = await send(`${url}/from-cli`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('hello from origin');
    expect(origin.seen.at(-1)!.headers['x-through-cli']).toBe('yes');

    child.kill('SIGTERM');
    const run = await done;
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"type":"signal"');
    expect(run.stdout).toContain('"type":"stopped"');
  });
});
