import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fn, logsOf, requestIdOf } from '../helpers/cf-fixtures.ts';
import { eventually, send, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';

// Every handler form the Lambda Node.js runtime accepts, and the `context` it passes.

const answer = (text: string) => `{ status: '200', body: ${JSON.stringify(text)} }`;

const FORMS: Record<string, { source: string; ext?: string }> = {
  'exports.handler': { source: `exports.handler = async () => (${answer('exports.handler')});` },
  'module.exports.handler': { source: `module.exports.handler = async () => (${answer('module.exports.handler')});` },
  'module.exports = { handler }': { source: `async function handler() { return ${answer('module.exports = { handler }')}; }\nmodule.exports = { handler };` },
  'export const handler': { source: `export const handler = async () => (${answer('export const handler')});` },
  'export const handler (.mjs)': { source: `export const handler = async () => (${answer('export const handler (.mjs)')});`, ext: '.mjs' },
  'export default': { source: `export default async function (event) { return ${answer('export default')}; }` },
  'export default with top-level await': { source: `const ready = await Promise.resolve(true);\nexport default async () => (ready ? ${answer('export default with top-level await')} : null);` },
  'async': { source: `exports.handler = async (event) => { await null; return ${answer('async')}; };` },
  'returns a promise': { source: `exports.handler = (event) => Promise.resolve(${answer('returns a promise')});` },
  'callback': { source: `exports.handler = (event, context, callback) => { callback(null, ${answer('callback')}); };` },
  'callback after a timer': { source: `exports.handler = (event, context, callback) => { setTimeout(() => callback(null, ${answer('callback after a timer')}), 5); };` },
  'synchronous return': { source: `exports.handler = (event) => (${answer('synchronous return')});` },
};

const names = Object.keys(FORMS);
/** A function name and path for each form (by position: the form names differ only in punctuation). */
const slug = (name: string) => `form-${names.indexOf(name)}`;

let origin: TestOrigin;
let edge: TestEdge;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [
      ...names.map((name) => fn(slug(name), FORMS[name]!.source, { ext: FORMS[name]!.ext })),
      fn('await-timer', `exports.handler = async () => { await new Promise((r) => setTimeout(r, 5)); return ${answer('awaited')}; };`, { timeoutMs: 500 }),
      fn('resolve-in-timer', `exports.handler = () => new Promise((resolve) => setTimeout(() => resolve(${answer('resolved')}), 5));`, { timeoutMs: 500 }),
      fn(
        'context',
        `exports.handler = async (event, context) => {
          const before = context.getRemainingTimeInMillis();
          const t = Date.now();
          while (Date.now() - t < 30) {}
          const after = context.getRemainingTimeInMillis();
          const { functionName, functionVersion, awsRequestId, memoryLimitInMB } = context;
          return { status: '200', body: JSON.stringify({ functionName, functionVersion, awsRequestId, memoryLimitInMB, before, after }) };
        };`,
        { timeoutMs: 1_500 },
      ),
    ],
    behaviors: [
      ...names.map((name) => ({ pathPattern: `/${slug(name)}`, originId: 'o', functions: { 'viewer-request': { name: slug(name) } } })),
      { pathPattern: '/context', originId: 'o', functions: { 'viewer-request': { name: 'context' } } },
      { pathPattern: '/await-timer', originId: 'o', functions: { 'viewer-request': { name: 'await-timer' } } },
      { pathPattern: '/resolve-in-timer', originId: 'o', functions: { 'viewer-request': { name: 'resolve-in-timer' } } },
    ],
  });
});
afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('handler forms', () => {
  test.each(names)('%s', async (name) => {
    const res = await send(`${edge.url}/${slug(name)}`);
    expect(res.status).toBe(200);
    expect(res.text).toBe(name);
  });
});

describe('handlers that wait on timers', () => {
  test('an async handler that awaits a setTimeout promise answers when the timer fires', async () => {
    const res = await send(`${edge.url}/await-timer`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('awaited');
  });

  test('a returned promise resolved from a timer callback answers when the timer fires', async () => {
    const res = await send(`${edge.url}/resolve-in-timer`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('resolved');
  });
});

describe('context', () => {
  test('has functionName, functionVersion, awsRequestId equal to the request id, and memoryLimitInMB', async () => {
    const res = await send(`${edge.url}/context`);
    expect(res.status).toBe(200);
    const ctx = JSON.parse(res.text) as Record<string, unknown>;
    expect(ctx.functionName).toBe('context');
    expect(ctx.awsRequestId).toBe(requestIdOf(res));
    expect(Number(ctx.memoryLimitInMB)).toBe(128);
    // The version is the one the REPORT line names.
    const report = await eventually(() => logsOf(edge, requestIdOf(res), 'REPORT')[0]);
    expect(ctx.functionVersion).toBe(report.version);
  });

  test('getRemainingTimeInMillis() is a number no larger than timeoutMs that goes down as time passes', async () => {
    const ctx = JSON.parse((await send(`${edge.url}/context`)).text) as { before: number; after: number };
    expect(ctx.before).toBeTypeOf('number');
    expect(ctx.before).toBeGreaterThan(0);
    expect(ctx.before).toBeLessThanOrEqual(1_500);
    expect(ctx.after).toBeLessThanOrEqual(ctx.before - 25);
  });
});
