import { afterAll, beforeAll, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fn } from '../helpers/cf-fixtures.ts';
import { send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Requests that arrive together have their hook calls run in batches, one per function version
// (runtime/call-batch.ts, FunctionRuntime.invokeMany). Over real HTTP: every request gets its own
// function results and its own REPORT line, whatever batch its calls ran in. The requests come from a
// child process, as a load generator's would, so they reach the node together and their calls meet
// in one event-loop turn (requests from this process arrive one turn apart: it writes them between
// the node's own turns).

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Origin-Saw': String(req.headers['x-uri']) });
    res.end(req.url);
  });
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      fn(
        'tag-request',
        `exports.handler = async (event) => {
          const r = event.Records[0].cf.request;
          console.log('request ' + r.uri);
          r.headers['x-uri'] = [{ key: 'X-Uri', value: r.uri }];
          return r;
        };`,
      ),
      fn(
        'tag-response',
        `exports.handler = async (event) => {
          const { request, response } = event.Records[0].cf;
          response.headers['x-viewer-response-saw'] = [{ value: request.uri }];
          return response;
        };`,
      ),
    ],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'tag-request' }, 'viewer-response': { name: 'tag-response' } } }],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

/** GETs every path at once from a child process; resolves with status, headers and body of each. */
async function fetchAllFromChild(base: string, paths: string[]): Promise<Array<{ status: number; headers: Record<string, string>; text: string }>> {
  const script = `
    const [base, ...paths] = process.argv.slice(1);
    Promise.all(paths.map(async (p) => { const r = await fetch(base + p); return { status: r.status, headers: Object.fromEntries(r.headers), text: await r.text() }; }))
      .then((all) => process.stdout.write(JSON.stringify(all)));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, base, ...paths]);
  return JSON.parse(stdout);
}

test('concurrent requests each get their own function results, log lines and REPORT lines', async () => {
  await send(`${edge.url}/warm`);
  const before = edge.node.runtime.batchCounts.calls;
  const paths = Array.from({ length: 40 }, (_, i) => `/p${i}`);
  const responses = await fetchAllFromChild(edge.url, paths);
  responses.forEach((res, i) => {
    expect(res.status).toBe(200);
    expect(res.text).toBe(paths[i]);
    expect(res.headers['x-origin-saw']).toBe(paths[i]);
    expect(res.headers['x-viewer-response-saw']).toBe(paths[i]);
    const id = res.headers['x-verge-request-id'];
    const lines = edge.logs.filter((l) => l.requestId === id);
    expect(lines.filter((l) => l.type === 'function-log').map((l) => l.msg)).toEqual([`request ${paths[i]}`]);
    expect(lines.filter((l) => l.type === 'REPORT').map((l) => l.eventType).sort()).toEqual(['viewer-request', 'viewer-response']);
  });
  // Forty requests at once from another process: their calls ran in batches.
  expect(edge.node.runtime.batchCounts.calls - before).toBeGreaterThanOrEqual(2);
});
