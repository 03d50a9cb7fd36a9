import { fetch } from 'undici';
import { exactBuffer, opFailure, type OpOutcome } from './op-outcome.ts';

/** A fetch as the isolate describes it (sandbox/fetch.isolate.js); checked here, since the isolate is untrusted. */
interface FetchArgs {
  readonly url: string;
  readonly method: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly redirect: 'follow' | 'manual' | 'error';
}

function isFetchArgs(v: unknown): v is FetchArgs {
  if (v === null || typeof v !== 'object') return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.url === 'string' &&
    typeof a.method === 'string' &&
    (a.redirect === 'follow' || a.redirect === 'manual' || a.redirect === 'error') &&
    Array.isArray(a.headers) &&
    a.headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string')
  );
}

/** Bytes of response bodies one invocation may still read, shared by all its fetches. */
export interface ByteBudget {
  readonly total: number;
  left: number;
}

/**
 * Performs one subrequest with undici's fetch (the same Fetch Standard implementation as Node's global
 * fetch) and reads the whole body, taking its bytes from the invocation's `budget`: bodies are copied
 * into the isolate's heap, so one past what is left is refused with a clear error instead of exhausting the isolate's
 * memory. `signal` ends it when the invocation ends (its deadline, or the function settled).
 */
export async function performFetch(args: unknown, bins: readonly Buffer[], signal: AbortSignal, budget: ByteBudget): Promise<OpOutcome> {
  if (!isFetchArgs(args)) return opFailure('TypeError', 'fetch: malformed request');
  const body = bins.length > 0 && args.method !== 'GET' && args.method !== 'HEAD' ? bins[0] : undefined;
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(args.url, { method: args.method, headers: args.headers as [string, string][], body, redirect: args.redirect, signal });
  } catch (err) {
    return networkFailure(err);
  }
  const tooLarge = `fetch: the response body of ${args.url} is larger than ${budget.total} bytes, the most a function with this memoryMb may read in one invocation (all fetches together; ${budget.left} bytes left)`;
  const declared = Number(res.headers.get('content-length'));
  if (declared > budget.left) {
    await res.body?.cancel().catch(() => {});
    return opFailure('TypeError', tooLarge);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    if (res.body !== null) {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        budget.left -= chunk.byteLength;
        // Leaving the loop cancels the stream, which ends the download.
        if (budget.left < 0) {
          budget.left = 0;
          return opFailure('TypeError', tooLarge);
        }
        chunks.push(chunk);
      }
    }
  } catch (err) {
    return networkFailure(err);
  }
  // [name, value, name, value…]: Set-Cookie stays one entry per cookie (Fetch §5.2 "sort and combine").
  const headers: string[] = [];
  for (const [name, value] of res.headers) headers.push(name, value);
  const json = JSON.stringify({ status: res.status, statusText: res.statusText, headers, url: res.url, redirected: res.redirected });
  const bytes = res.body === null || args.method === 'HEAD' ? undefined : exactBuffer(Buffer.concat(chunks, size));
  return { ok: true, json, bytes };
}

/** undici's own rejection, as the function would see it in Node: `TypeError: fetch failed` with a cause. */
function networkFailure(err: unknown): OpOutcome {
  if (!(err instanceof Error)) return opFailure('TypeError', 'fetch failed');
  const cause = err.cause instanceof Error ? { message: err.cause.message, code: (err.cause as NodeJS.ErrnoException).code } : undefined;
  return opFailure(err.name === 'TypeError' ? 'TypeError' : err.name, err.message, cause);
}
