import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { startEdge, startOrigin, type TestEdge, type TestOrigin } from './harness.ts';

export interface CloudFrontFunctionEdge {
  /** Set once the suite's beforeAll has run. */
  origin: TestOrigin;
  edge: TestEdge;
}

export interface CloudFrontFunctionEdgeOptions {
  readonly originHandler?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  /** `keyValueStores` of the config; the function reads the first. */
  readonly keyValueStores?: readonly { id: string; file: string }[];
  /** Extra origins beside `o` (the behavior's origin), for origin selection. */
  readonly extraOrigins?: () => readonly { id: string; url: string }[];
}

/**
 * For a suite about one CloudFront Function (`runtime: cloudfront-js-2.0`): starts a real origin and a
 * real edge node running the function at `eventType` on every path, and stops both afterwards.
 */
export function useCloudFrontFunctionEdge(name: string, code: string, eventType: 'viewer-request' | 'viewer-response', options: CloudFrontFunctionEdgeOptions = {}): CloudFrontFunctionEdge {
  const env = {} as CloudFrontFunctionEdge;
  beforeAll(async () => {
    env.origin = await startOrigin(options.originHandler);
    const stores = options.keyValueStores ?? [];
    env.edge = await startEdge({
      origins: [{ id: 'o', url: env.origin.url }, ...(options.extraOrigins?.() ?? [])],
      // A generous time limit: the default (50 ms) is shown by the limit fixtures; here a descheduled
      // test process must not fail an example.
      functions: [{ name, code, runtime: 'cloudfront-js-2.0', timeoutMs: 1000, ...(stores[0] ? { keyValueStore: stores[0].id } : {}) }],
      ...(stores.length > 0 ? { keyValueStores: stores } : {}),
      behaviors: [{ pathPattern: '*', originId: 'o', functions: { [eventType]: { name } } }],
    });
  });
  afterAll(async () => {
    await env.edge?.close();
    await env.origin?.close();
  });
  return env;
}
