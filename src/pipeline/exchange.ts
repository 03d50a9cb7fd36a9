/**
 * One viewer exchange between the lifecycle's steps: the request as viewer-request left it, and the
 * response on its way back with whichever body it has (origin stream, bytes, stream, stored entry).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { CacheStatus, CacheStatusMember } from '../cache/cache-status.ts';
import type { ByteRange, CacheEntry } from '../cache/cache-store.ts';
import type { BehaviorConfig, OriginConfig } from '../config/types.ts';
import type { RequestRecord } from '../observability/access-log.ts';
import type { OriginResponse } from '../proxy/origin-response.ts';
import type { EdgeRequest, EdgeResponse } from './edge-message.ts';

/**
 * A response on its way to the viewer. Its body is one of: the origin's, unread (`origin`); bytes in
 * hand (`body`: a function generated or replaced it); a stream (`stream`: through the cache's tee or a
 * compressor); or a stored entry (`entry`: read when sent, whole or one range).
 */
export interface PendingResponse {
  response: EdgeResponse;
  body: Buffer | undefined;
  origin: OriginResponse | undefined;
  stream?: Readable | undefined;
  /** The stream's length when known (Content-Length); chunked otherwise. */
  streamLength?: number | undefined;
  entry?: CacheEntry | undefined;
  /** The part of the entry to send (a 206 answer). */
  range?: ByteRange | undefined;
}

/** One viewer exchange as the cache step sees it. */
export interface Exchange {
  /** The viewer's request stream (its body goes upstream); undefined for a background refresh. */
  readonly req: IncomingMessage | undefined;
  /** The viewer's response, for 103 Early Hints passed on from the origin; undefined for a background refresh. */
  readonly res: ServerResponse | undefined;
  readonly record: RequestRecord;
  readonly behavior: BehaviorConfig;
  /** The behavior's associations as this viewer runs them (weighted ones resolved to one version). */
  readonly functions: BehaviorConfig['functions'];
  readonly origin: OriginConfig;
  /** The request as viewer-request left it: what the cache key, Vary and viewer-response see. */
  readonly viewerRequest: EdgeRequest;
  readonly bufferedBody: Buffer | undefined;
}

/** What the cache step produced: the response, its outcome, and its Cache-Status member. */
export interface Served {
  readonly pending: PendingResponse;
  readonly status: CacheStatus;
  readonly member: CacheStatusMember;
  /** Answer the viewer's If-None-Match / If-Modified-Since / Range from this response (it is a full one). */
  readonly answerConditionals: boolean;
}

export interface Forwarded {
  readonly pending: PendingResponse;
  /** origin-request generated it (no origin contacted). */
  readonly generated: boolean;
}

/** Drops whatever body the response had (the origin's connection is released, streams destroyed). */
export function dropBody(pending: PendingResponse): void {
  pending.origin?.discard();
  pending.stream?.destroy();
  pending.origin = undefined;
  pending.stream = undefined;
  pending.entry = undefined;
  pending.range = undefined;
  pending.body = undefined;
}

/** The response's body as a stream (the origin's, or bytes in hand). */
export function bodyStream(pending: PendingResponse): Readable {
  if (pending.stream !== undefined) return pending.stream;
  if (pending.origin !== undefined) return pending.origin.toReadable();
  return Readable.from([pending.body ?? Buffer.alloc(0)]);
}
