/**
 * The control plane: its services over one ControlStore, as the admin API (src/admin/) and tests
 * use them. `developmentMode` lets distributions associate `$LATEST` (issue 5 §1).
 *
 * @example
 * const cp = createControlPlane(new SqliteControlStore(':memory:'), { developmentMode: false });
 * await cp.functions.create('auth', { memoryMb: 128 }, { bytes, fileName: 'index.mjs' });
 */
import { AliasesService } from './aliases-service.ts';
import type { ControlStore } from './control-store.ts';
import { DeploymentsService } from './deployments-service.ts';
import { DesiredStateSignal } from './desired-state-signal.ts';
import { DistributionsService } from './distributions-service.ts';
import { EdgeService } from './edge-service.ts';
import { FunctionsService } from './functions-service.ts';
import { RolloutEngine } from './rollout-engine.ts';
import { LocationInvalidations } from './location-invalidations.ts';
import type { Logger } from '../observability/logger.ts';

export interface ControlPlaneOptions {
  readonly developmentMode: boolean;
  /** Where the rollout engine reports a step it could not carry out. */
  readonly logger?: Logger | undefined;
}

export interface ControlPlane {
  readonly store: ControlStore;
  readonly options: ControlPlaneOptions;
  readonly functions: FunctionsService;
  readonly aliases: AliasesService;
  readonly distributions: DistributionsService;
  readonly deployments: DeploymentsService;
  readonly edge: EdgeService;
  /** Staged rollouts (waves, health gates, rollback); its ticking is started by whoever serves the API. */
  readonly rollouts: RolloutEngine;
  /** Invalidations for every location, handed out with heartbeats. */
  readonly invalidations: LocationInvalidations;
}

export function createControlPlane(store: ControlStore, options: ControlPlaneOptions): ControlPlane {
  const signal = new DesiredStateSignal();
  const distributions = new DistributionsService(store, options);
  return {
    store,
    options,
    functions: new FunctionsService(store),
    aliases: new AliasesService(store),
    distributions,
    deployments: new DeploymentsService(store, signal, options),
    edge: new EdgeService(store, signal, options),
    invalidations: new LocationInvalidations(),
    // A rollout step wakes the locations' long-polls at once, as a deploy does.
    rollouts: new RolloutEngine({
      store,
      resolve: (id, revision) => distributions.resolve(id, revision),
      onDesired: (location) => signal.notify(location),
      onError: (err) => options.logger?.error({ type: 'rollout-error', code: (err as { code?: string }).code ?? 'VERGE_ERR_INTERNAL', err: err instanceof Error ? err.message : String(err) }, 'A rollout step failed'),
    }),
  };
}
