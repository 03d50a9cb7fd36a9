/**
 * One configuration as an edge node serves it: the function registry of its versions, the hook runner
 * and the request lifecycle built over them, and the requests in flight on it. A node switches from
 * one generation to the next atomically (edge-node.ts `apply`): a request keeps the generation it
 * started on to its end (so its functions, behaviors and origins cannot change under it), and a
 * generation replaced is retired only once its last request has finished.
 */
import type { HttpCache } from '../cache/http-cache.ts';
import type { VergeConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { VersionHealth } from '../observability/version-health.ts';
import { HookRunner } from '../pipeline/hook-runner.ts';
import { RequestLifecycle } from '../pipeline/request-lifecycle.ts';
import { FunctionRegistry } from '../runtime/function-registry.ts';
import type { FunctionRuntime } from '../runtime/function-runtime.ts';
import type { OriginClient } from './origin-client.ts';

export interface ServingGeneration {
  readonly config: VergeConfig;
  readonly registry: FunctionRegistry;
  readonly lifecycle: RequestLifecycle;
  /** The version keys (isolate pool keys) this generation's functions run. */
  readonly versionKeys: ReadonlySet<string>;
  /** Requests that started on this generation and have not finished. */
  inFlight: number;
  /** Called when inFlight drops to 0 after the generation was replaced. */
  onIdle: (() => void) | undefined;
}

export interface GenerationParts {
  readonly runtime: FunctionRuntime;
  readonly origins: OriginClient;
  readonly cache: HttpCache;
  readonly logger: Logger;
  readonly health?: VersionHealth | undefined;
}

/**
 * Loads (bundles and module-checks) every function of `config`. With `prewarm`, each version whose
 * key it accepts is loaded into a warm isolate before the generation can serve (runtime.prewarm), so
 * its first requests find it warm and a version whose code does not load (its top level throws) throws
 * here and the generation never serves. A version replaced later by --watch is retired at once.
 */
export async function loadGeneration(config: VergeConfig, parts: GenerationParts, prewarm?: (versionKey: string) => boolean): Promise<ServingGeneration> {
  const { runtime } = parts;
  const registry = await FunctionRegistry.load(config.functions, (key) => runtime.retire(key), (version) => runtime.prewarm(version));
  try {
    const versionKeys = new Set(config.functions.map((fn) => registry.get(fn.name).key));
    if (prewarm !== undefined) {
      for (const fn of config.functions) {
        const version = registry.get(fn.name);
        if (prewarm(version.key)) runtime.prewarm(version);
      }
    }
    const hooks = new HookRunner(parts.runtime, registry, parts.logger, config.distribution, parts.health);
    const lifecycle = new RequestLifecycle({ config, hooks, origins: parts.origins, logger: parts.logger, cache: parts.cache });
    return { config, registry, lifecycle, versionKeys, inFlight: 0, onIdle: undefined };
  } catch (err) {
    registry.close();
    throw err;
  }
}

/** Resolves once the generation has no request in flight (at once when it has none). */
export function drained(generation: ServingGeneration): Promise<void> {
  if (generation.inFlight === 0) return Promise.resolve();
  return new Promise((resolve) => {
    generation.onIdle = resolve;
  });
}
