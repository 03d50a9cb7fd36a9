import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

// `verge invoke`: a function of a config file run on a test event in a real isolate, like the
// Lambda console's Test button, with its result, console output and REPORT line.

const ROOT = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'verge-invoke-'));
writeFileSync(join(dir, 'add-header.js'), `exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  console.log('uri was', request.uri);
  request.headers['x-tested'] = [{ key: 'X-Tested', value: 'yes' }];
  return request;
};`);
writeFileSync(join(dir, 'throws.js'), `exports.handler = async () => { throw new Error('broken on purpose'); };`);
writeFileSync(join(dir, 'verge.yaml'), `origins: [{ id: o, url: "http://127.0.0.1:9" }]
functions:
  - { name: add-header, code: ./add-header.js }
  - { name: throws, code: ./throws.js }
behaviors: [{ pathPattern: "*", originId: o }]
`);
const event = (eventType: string) => {
  const file = join(dir, `${eventType}.json`);
  writeFileSync(file, JSON.stringify({ Records: [{ cf: { config: { eventType }, request: { uri: '/index.html', method: 'GET', headers: { host: [{ key: 'Host', value: 'example.com' }] } } } }] }));
  return file;
};

function verge(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin', 'verge.js'), ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('verge invoke', () => {
  test('prints the result, the console output and the REPORT line; exit 0', async () => {
    const r = await verge(['invoke', 'add-header', '--config', join(dir, 'verge.yaml'), '--event', event('viewer-request')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/"x-tested": \[\s*\{\s*"key": "X-Tested",\s*"value": "yes"/);
    expect(r.stdout).toMatch(/uri was \/index\.html/);
    expect(r.stdout).toMatch(/REPORT RequestId: [0-9a-f-]+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/);
  });

  test('--json gives the whole outcome as JSON', async () => {
    const r = await verge(['invoke', 'add-header', '--config', join(dir, 'verge.yaml'), '--event', event('origin-request'), '--json']);
    const out = JSON.parse(r.stdout) as { ok: boolean; result: { uri: string }; report: string };
    expect([out.ok, out.result.uri]).toEqual([true, '/index.html']);
    expect(out.report).toMatch(/^REPORT /);
  });

  test('a function that throws: its error code and message, the REPORT line, exit 1', async () => {
    const r = await verge(['invoke', 'throws', '--config', join(dir, 'verge.yaml'), '--event', event('viewer-request')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Failed: VERGE_ERR_FUNCTION_THREW: .*broken on purpose/);
    expect(r.stdout).toMatch(/REPORT RequestId/);
  });

  test('an unknown function, or an event that is not a Lambda@Edge event, is a usage error naming the problem', async () => {
    const unknown = await verge(['invoke', 'nope', '--config', join(dir, 'verge.yaml'), '--event', event('viewer-request')]);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'verge invoke: the config has no function "nope" (it has: add-header, throws)\n']);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ Records: [{ cf: { config: { eventType: 'viewer-lunch' } } }] }));
    const invalid = await verge(['invoke', 'add-header', '--config', join(dir, 'verge.yaml'), '--event', bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^verge invoke: The test event is not a Lambda@Edge event: Records\.0\.cf\.config\.eventType: /);
  });
});
