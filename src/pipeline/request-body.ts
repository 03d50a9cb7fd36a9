import type { IncomingMessage } from 'node:http';
import { INCLUDE_BODY_MAX_BYTES } from '../config/lambda-edge-limits.ts';
import { RequestBodyTooLargeError } from '../errors/request-errors.ts';
import type { CfRequestBody } from './cf-types.ts';
import type { RequestEventType } from './hooks.ts';

/**
 * With includeBody the whole request body is read before the function runs, because the origin must
 * still receive all of it when the function sees only the first 40 KB / 1 MB. Past this size Verge
 * answers 413 instead of holding an unbounded body in memory. (CloudFront's own cap is far higher, but
 * it spools to disk; a later issue can do the same.)
 */
export const MAX_BUFFERED_BODY_BYTES = 16 * 1024 * 1024;

export function hasRequestBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

export function readRequestBody(req: IncomingMessage, maxBytes = MAX_BUFFERED_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RequestBodyTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** The event's `body`: base64 of at most the event type's limit, flagged when cut short. */
export function eventBody(eventType: RequestEventType, body: Buffer): CfRequestBody {
  const limit = INCLUDE_BODY_MAX_BYTES[eventType];
  const truncated = body.length > limit;
  return {
    inputTruncated: truncated,
    action: 'read-only',
    encoding: 'base64',
    data: (truncated ? body.subarray(0, limit) : body).toString('base64'),
  };
}

/** What to send upstream after the functions: a replacement if one asked for it, else the original. */
export function upstreamBody(body: CfRequestBody | undefined, original: Buffer | undefined): Buffer | undefined {
  if (body?.action === 'replace') return Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
  return original;
}
