import { expect } from 'vitest';
import { eventually, send, type TestEdge } from './harness.ts';

/**
 * GETs `path` from a function that answers its findings as a JSON body, and returns them. Anything
 * but a 200 fails the test with the status, the body and the function's logged error, so a broken
 * case says why without a second look at the logs.
 */
export async function jsonAnswer(edge: TestEdge, path: string): Promise<Record<string, unknown>> {
  const res = await send(`${edge.url}${path}`);
  if (res.status !== 200) {
    const id = res.headers['x-verge-request-id'];
    const logged = await eventually(() => edge.logs.find((l) => l.type === 'error' && l.requestId === id)).catch(() => undefined);
    expect.fail(`${path}: ${res.status} ${res.text} ${String(logged?.msg)} ${String(logged?.stack)}`);
  }
  return JSON.parse(res.text) as Record<string, unknown>;
}
