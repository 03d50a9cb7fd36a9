import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import type { EventType } from '../../src/config/types.ts';
import { startEdge, startOrigin, type TestEdge, type TestOrigin } from './harness.ts';

export interface FunctionEdge {
  /** Set once the suite's beforeAll has run. */
  origin: TestOrigin;
  edge: TestEdge;
}

/**
 * For a suite about one function: registers beforeAll/afterAll that start a real origin (with
 * `originHandler`, or the harness's default) and a real edge node running the function at
 * `eventType` on every path, and stop both afterwards.
 */
export function useFunctionEdge(
  name: string,
  code: string,
  eventType: EventType,
  originHandler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): FunctionEdge {
  const env = {} as FunctionEdge;
  beforeAll(async () => {
    env.origin = await startOrigin(originHandler);
    env.edge = await startEdge({
      origins: [{ id: 'o', url: env.origin.url }],
      functions: [{ name, code, timeoutMs: 1000 }],
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { [eventType]: { name } } }],
    });
  });
  afterAll(async () => {
    await env.edge?.close();
    await env.origin?.close();
  });
  return env;
}
