import ivm from 'isolated-vm';
import { producedCache } from './blank-isolate.ts';
import type { FunctionVersion } from './function-version.ts';

/** The script a cold start compiled from source, as it compiled it: what the cache must be made from. */
export interface CompiledScript {
  readonly source: string;
  readonly filename: string;
}

/** How a cold start compiled its version's code: with its cache, with a cache V8 refused, or without one yet. */
export type CodeCacheUse = 'used' | 'rejected' | 'none';

/**
 * Compiles a version's script in a serving isolate: with the version's code cache when it has one,
 * otherwise from source, never producing a cache there (see CodeCacheProducer). `uncached` is set when
 * the code was compiled from source, for the caller to hand to the producer.
 */
export function compileVersionScript(
  isolate: ivm.Isolate,
  version: FunctionVersion,
  source: string,
  filename: string,
): { script: ivm.Script; cache: CodeCacheUse; uncached?: CompiledScript } {
  const cachedData = version.cachedData;
  const script = isolate.compileScriptSync(source, { filename, ...(cachedData ? { cachedData } : {}) });
  if (cachedData === undefined) return { script, cache: 'none', uncached: { source, filename } };
  if ((script as ivm.Script & { cachedDataRejected?: boolean }).cachedDataRejected === true) {
    // A cache V8 refuses (its version or flags changed) is made again from this source.
    if (version.cachedData === cachedData) version.cachedData = undefined;
    return { script, cache: 'rejected', uncached: { source, filename } };
  }
  return { script, cache: 'used' };
}

/** The producer isolate's heap: it only compiles, and a compiled script is released at once. */
const PRODUCER_MEMORY_MB = 256;

/**
 * Makes each function version's V8 code cache in an isolate of its own, on isolated-vm's threads,
 * after the version's first cold start compiled its code from source. Later cold starts compile from
 * the cache (IsolateInstance.loadUserCode, cff-loader.ts).
 *
 * Why not in the isolate that serves the version, as the first cold start did before: the first time
 * V8's code serializer runs in an isolate it builds the isolate's external-reference encoder and root
 * index map, about 0.1 MB of tables the isolate keeps for its whole life (V8's
 * ExternalReferenceEncoder stores its map on the isolate, set_external_reference_map, and reuses it).
 * Measured (RSS over 200 isolates, each of a different small function): 1.47 MB per isolate, loaded,
 * when loading produced the cache, against 1.37 MB when it did not; 1.37 MB too when the cache came
 * from another isolate. So every version's first warm isolate carried 0.1 MB for a cache of ~0.7 KB.
 * Here those tables exist once per process. A cache is valid in any isolate of the same V8 and flags,
 * as the bootstrap's cache made in a scratch isolate already shows.
 */
export class CodeCacheProducer {
  private isolate: ivm.Isolate | undefined;
  private readonly pending = new Set<FunctionVersion>();
  private closed = false;

  /** Makes `version`'s cache from `script`, unless it has one or one is on the way. */
  request(version: FunctionVersion, script: CompiledScript): void {
    if (this.closed || version.cachedData !== undefined || this.pending.has(version)) return;
    this.pending.add(version);
    void this.produce(version, script).finally(() => this.pending.delete(version));
  }

  /** Resolves once every cache requested so far is made (or failed); for tests. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await new Promise((r) => setTimeout(r, 1));
  }

  private async produce(version: FunctionVersion, script: CompiledScript): Promise<void> {
    // Not in the cold start's own turn: making the producer isolate (once, ~0.9 ms) would hold it up.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      if (this.closed) return;
      this.isolate ??= new ivm.Isolate({ memoryLimit: PRODUCER_MEMORY_MB });
      const compiled = await this.isolate.compileScript(script.source, { filename: script.filename, produceCachedData: true });
      const cache = producedCache(compiled);
      compiled.release();
      if (cache !== undefined && version.cachedData === undefined && !this.closed) version.cachedData = cache;
    } catch {
      // Only an optimisation: without a cache the version's cold starts compile from source. A
      // producer isolate that ran out of memory is replaced for the next version.
      if (this.isolate?.isDisposed === true) this.isolate = undefined;
    }
  }

  close(): void {
    this.closed = true;
    if (this.isolate !== undefined && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
  }
}
