/**
 * Deployments of a distribution revision to locations. Today one strategy, `AllAtOnce` (CodeDeploy's
 * name): the revision is resolved once (aliases as they are now), every target location's desired
 * state is set to it, and the deployment is recorded as Succeeded with the locations and the
 * generations they were given. Edge nodes long-polling for their location wake at once
 * (desired-state-signal.ts). The staged rollout engine (waves, health gates, rollback; issue 5 §2)
 * will add strategies behind the same `deploy` and record InProgress deployments.
 */
import { ControlInvalidError } from '../errors/control-errors.ts';
import type { ControlStore, Deployment, LocationRecord } from './control-store.ts';
import type { DesiredStateSignal } from './desired-state-signal.ts';
import { resolveRevision, type ResolveOptions } from './revision-resolver.ts';

export const DEPLOYMENT_STRATEGIES = ['AllAtOnce'] as const;
export type DeploymentStrategy = (typeof DEPLOYMENT_STRATEGIES)[number];

export interface DeployRequest {
  readonly revision: number;
  readonly strategy: DeploymentStrategy;
  /** The locations to deploy to; absent: every registered location. */
  readonly locations?: readonly string[];
  readonly createdBy: string;
  readonly comment?: string;
}

export class DeploymentsService {
  readonly #store: ControlStore;
  readonly #signal: DesiredStateSignal;
  readonly #options: ResolveOptions;

  constructor(store: ControlStore, signal: DesiredStateSignal, options: ResolveOptions) {
    this.#store = store;
    this.#signal = signal;
    this.#options = options;
  }

  /**
   * Deploys `revision` of `distributionId`.
   * @throws ControlNotFoundError for a revision or named location that does not exist,
   *   ControlInvalidRevisionError when the revision no longer resolves (a version deleted since)
   */
  async deploy(distributionId: string, request: DeployRequest): Promise<Deployment> {
    const r = await this.#store.getRevision(distributionId, request.revision);
    const document = await resolveRevision(this.#store, distributionId, r.revision, r.config, this.#options);
    const targets: LocationRecord[] = request.locations === undefined ? await this.#store.listLocations() : await Promise.all(request.locations.map((name) => this.#store.getLocation(name)));
    if (targets.length === 0) throw new ControlInvalidError('No location is registered yet: start an edge node with --control-plane URL --location NAME, then deploy', { distributionId });
    const previousRevision = targets.find((l) => l.distributionId === distributionId)?.desiredRevision ?? 0;
    const generations: Record<string, number> = {};
    for (const location of targets) {
      const updated = await this.#store.setDesired(location.name, { distributionId, revision: r.revision, document });
      generations[location.name] = updated.desiredGeneration;
      this.#signal.notify(location.name);
    }
    const at = new Date().toISOString();
    const names = targets.map((l) => l.name);
    return this.#store.createDeployment({
      distributionId,
      revision: r.revision,
      previousRevision,
      status: 'Succeeded',
      plan: { strategy: request.strategy, locations: request.locations === undefined ? 'all' : names, ...(request.comment === undefined ? {} : { comment: request.comment }) },
      state: { generations },
      createdBy: request.createdBy,
      events: [{ at, type: 'deployed', by: request.createdBy, message: `Revision ${r.revision} set as desired at ${names.length} location(s): ${names.join(', ')}`, data: { generations } }],
    });
  }

  get(id: string): Promise<Deployment> {
    return this.#store.getDeployment(id);
  }

  list(distributionId?: string): Promise<Deployment[]> {
    return this.#store.listDeployments(distributionId);
  }
}
