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

export interface ControlPlaneOptions {
  readonly developmentMode: boolean;
}

export interface ControlPlane {
  readonly store: ControlStore;
  readonly options: ControlPlaneOptions;
  readonly functions: FunctionsService;
  readonly aliases: AliasesService;
  readonly distributions: DistributionsService;
  readonly deployments: DeploymentsService;
  readonly edge: EdgeService;
}

export function createControlPlane(store: ControlStore, options: ControlPlaneOptions): ControlPlane {
  const signal = new DesiredStateSignal();
  return {
    store,
    options,
    functions: new FunctionsService(store),
    aliases: new AliasesService(store),
    distributions: new DistributionsService(store, options),
    deployments: new DeploymentsService(store, signal, options),
    edge: new EdgeService(store, signal, options),
  };
}
