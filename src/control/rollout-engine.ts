/**
 * Runs staged rollouts (issue 5 §2): starts a deployment from a rollout request, then on every tick
 * steps each deployment in progress through the rollout state machine (rollout-machine.ts) and
 * carries out what it decides: traffic shares and reverts become the locations' desired documents
 * (ControlStore.setDesired), which edge nodes long-poll. All state lives in the store, so a
 * restarted control plane resumes its rollouts.
 */
import { RolloutError } from '../errors/rollout-errors.ts';
import type { ControlStore, Deployment, DeploymentEvent, LocationRecord } from './control-store.ts';
import { revisionDocumentSchema, type RevisionDocument } from './revision-document.ts';
import { startRollout, stepRollout, type RolloutState } from './rollout-machine.ts';
import { planRollout, type RolloutPlan, type RolloutRequest } from './rollout-plan.ts';
import { splitTraffic } from './traffic-split.ts';

/** Resolves a distribution revision into the document a location serves (control-plane resolution). */
export type RevisionResolver = (distributionId: string, revision: number) => Promise<RevisionDocument>;

interface StoredState {
  readonly machine: RolloutState;
  /**
   * The documents rolled out and rolled back to, resolved once when the deployment starts: an alias
   * moved mid-rollout does not change what it rolls out, and no tick resolves them again.
   */
  readonly next: RevisionDocument;
  readonly previous?: RevisionDocument | undefined;
  /** A person's command waiting for the next tick. */
  readonly command?: 'promote' | 'abort' | undefined;
}

export interface RolloutEngineOptions {
  readonly store: ControlStore;
  readonly resolve: RevisionResolver;
  /** How often deployments in progress are stepped (≤ the edges' heartbeat interval, or samples are missed). */
  readonly tickMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
  /** Called after a location's desired document changed (the control plane wakes its long-polls). */
  readonly onDesired?: (location: string) => void;
}

export class RolloutEngine {
  private readonly store: ControlStore;
  private readonly resolve: RevisionResolver;
  private readonly now: () => number;
  private readonly tickMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly onDesired: (location: string) => void;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(options: RolloutEngineOptions) {
    this.store = options.store;
    this.resolve = options.resolve;
    this.now = options.now ?? Date.now;
    this.tickMs = options.tickMs ?? 250;
    this.onError = options.onError ?? (() => undefined);
    this.onDesired = options.onDesired ?? (() => undefined);
  }

  /** Plans and records a deployment; the first tick starts its first wave. */
  async start(distributionId: string, request: RolloutRequest, by: string): Promise<Deployment> {
    const locations = await this.store.listLocations();
    const plan = planRollout(request, locations.map((l) => l.name));
    if (typeof plan === 'string') throw new RolloutError(plan);
    const next = await this.resolve(distributionId, request.revision);
    const previousRevision = Math.max(0, ...locations.filter((l) => l.distributionId === undefined || l.distributionId === distributionId).map((l) => l.desiredRevision));
    if (previousRevision === request.revision) throw new RolloutError(`revision ${request.revision} is already what the locations serve`);
    const [running] = await this.store.listDeployments(distributionId, 'InProgress');
    if (running !== undefined) throw new RolloutError(`deployment ${running.id} of ${distributionId} is still in progress: promote or abort it first`);
    const previous = previousRevision > 0 ? await this.resolve(distributionId, previousRevision) : undefined;
    const state: StoredState = { machine: startRollout(this.now()), next, ...(previous === undefined ? {} : { previous }) };
    return this.store.createDeployment({
      distributionId,
      revision: next.revision,
      previousRevision,
      status: 'InProgress',
      plan: plan as unknown as Record<string, unknown>,
      state: state as unknown as Record<string, unknown>,
      createdBy: by,
      events: [event(by, 'created', `revision ${request.revision} to ${plan.waves.length} wave(s): ${plan.waves.map((w) => w.join(', ')).join(' → ')}`)],
    });
  }

  /** Records a promote or abort for the next tick (applied within tickMs). */
  async command(id: string, command: 'promote' | 'abort', by: string): Promise<Deployment> {
    const d = await this.store.getDeployment(id);
    if (d.status !== 'InProgress') throw new RolloutError(`deployment ${id} is ${d.status}, not in progress`);
    const state = d.state as unknown as StoredState;
    return this.store.updateDeployment(id, 'InProgress', { state: { ...state, command } as unknown as Record<string, unknown>, events: [event(by, `${command}-requested`, `${command} requested`)] });
  }

  /** Steps every deployment in progress once. */
  async tick(): Promise<void> {
    // Every 250 ms: only the deployments in progress are read, not the whole history.
    const deployments = await this.store.listDeployments(undefined, 'InProgress');
    for (const d of deployments) {
      try {
        await this.stepOne(d);
      } catch (err) {
        this.onError(err);
        // A step that cannot be carried out (a revision that no longer resolves, a store failure)
        // ends the deployment as Failed, with why, rather than failing again every tick.
        await this.store
          .updateDeployment(d.id, 'InProgress', { status: 'Failed', events: [event('rollout', 'failed', `the rollout stopped: ${err instanceof Error ? err.message : String(err)}`)] })
          .catch(this.onError);
      }
    }
  }

  startTicking(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      if (this.ticking !== undefined) return;
      this.ticking = this.tick().catch(this.onError).finally(() => (this.ticking = undefined));
    }, this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
  }

  private async stepOne(d: Deployment): Promise<void> {
    const plan = d.plan as unknown as RolloutPlan;
    const stored = d.state as unknown as StoredState;
    const { next, previous } = stored;
    const newKeys = new Set(next.functions.map((f) => f.key));
    const oldKeys = new Set((previous?.functions ?? []).map((f) => f.key).filter((k) => !newKeys.has(k)));
    const locations = await this.store.listLocations();
    const health: Record<string, LocationRecord['health']> = {};
    for (const l of locations) health[l.name] = l.health;
    const result = stepRollout(plan, stored.machine, { nowMs: this.now(), health, newKeys, oldKeys, command: stored.command });
    for (const action of result.actions) {
      for (const location of action.locations) {
        const document = action.type === 'revert' ? previous : splitTraffic(previous, next, action.percent);
        if (document === undefined) continue; // nothing served before: a revert leaves the location as it is
        await this.store.setDesired(location, { distributionId: d.distributionId, revision: document.revision, document: revisionDocumentSchema.parse({ ...document, generation: 1 }) });
        this.onDesired(location);
      }
    }
    const status = result.outcome ?? 'InProgress';
    await this.store.updateDeployment(d.id, 'InProgress', {
      status,
      // The command, if any, was carried out by this step.
      state: { machine: result.state, next, ...(previous === undefined ? {} : { previous }) } as unknown as Record<string, unknown>,
      events: result.events.map((e) => event('rollout', e.type, e.message)),
    });
  }
}

function event(by: string, type: string, message: string): DeploymentEvent {
  return { at: new Date().toISOString(), type, by, message };
}
