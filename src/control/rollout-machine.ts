/**
 * The staged rollout as a state machine (issue 5 §2): one `step` per tick takes the plan, the state
 * so far, the time and the locations' latest health samples, and says what to do next — move a
 * wave's traffic, go on to the next wave, or roll back everywhere the revision reached. Pure: the
 * rollout engine persists the state (Deployment.state) and carries out the actions, so a control
 * plane restarted mid-rollout picks up where it left off.
 */
import { addTotals, EMPTY_TOTALS, judgeGate, type HealthTotals } from './health-gate.ts';
import { trafficCompleteAfterMs, trafficPercentAt, type RolloutPlan } from './rollout-plan.ts';

export interface RolloutState {
  readonly waveIndex: number;
  readonly waveStartedAtMs: number;
  /** The share of the current wave's viewers on the new versions, as last set. */
  readonly percent: number;
  /** Every location the new revision reached, at any share: what a rollback reverts. */
  readonly reached: readonly string[];
  /** The new and the old versions' health over the current wave, from heartbeats. */
  readonly next: HealthTotals;
  readonly previous: HealthTotals;
  /** Per location, the newest heartbeat sample time already counted. */
  readonly seenAt: Readonly<Record<string, string>>;
}

export interface HealthSample {
  readonly key: string;
  readonly requests: number;
  readonly errors: number;
  readonly p99Ms: number;
  readonly at: string;
}

export interface TickInput {
  readonly nowMs: number;
  /** Every registered location's latest samples (LocationRecord.health). */
  readonly health: Readonly<Record<string, readonly HealthSample[]>>;
  /** Version keys (`fn:4`) the new revision brings, and those it replaces. */
  readonly newKeys: ReadonlySet<string>;
  readonly oldKeys: ReadonlySet<string>;
  /** A person's decision since the last tick. */
  readonly command?: 'promote' | 'abort' | undefined;
}

export type RolloutAction =
  /** Serve the new revision in these locations with `percent` of viewers on its new versions. */
  | { readonly type: 'set-traffic'; readonly locations: readonly string[]; readonly percent: number }
  /** Serve the previous revision again in these locations. */
  | { readonly type: 'revert'; readonly locations: readonly string[] };

export interface RolloutEventOut {
  readonly type: 'wave-started' | 'traffic-shifted' | 'gate-passed' | 'gate-failed' | 'promoted' | 'aborted' | 'succeeded';
  readonly message: string;
}

export interface StepResult {
  readonly state: RolloutState;
  readonly actions: readonly RolloutAction[];
  readonly events: readonly RolloutEventOut[];
  /** Set when the rollout ended with this step. */
  readonly outcome?: 'Succeeded' | 'RolledBack' | 'Aborted';
}

/** The state before the first step: wave 0 starts now, at 0 %. */
export function startRollout(nowMs: number): RolloutState {
  return { waveIndex: 0, waveStartedAtMs: nowMs, percent: 0, reached: [], next: EMPTY_TOTALS, previous: EMPTY_TOTALS, seenAt: {} };
}

export function stepRollout(plan: RolloutPlan, state: RolloutState, input: TickInput): StepResult {
  const actions: RolloutAction[] = [];
  const events: RolloutEventOut[] = [];
  const wave = plan.waves[state.waveIndex]!;

  if (input.command === 'abort') {
    if (state.reached.length > 0) actions.push({ type: 'revert', locations: state.reached });
    events.push({ type: 'aborted', message: `aborted in wave ${state.waveIndex + 1} of ${plan.waves.length}; reverted ${state.reached.length} location(s)` });
    return { state, actions, events, outcome: 'Aborted' };
  }
  if (input.command === 'promote') {
    const rest = plan.waves.slice(state.waveIndex).flat();
    actions.push({ type: 'set-traffic', locations: rest, percent: 100 });
    events.push({ type: 'promoted', message: `promoted in wave ${state.waveIndex + 1}: ${rest.length} location(s) at 100 % now, gates skipped` });
    return { state: { ...state, percent: 100, reached: union(state.reached, rest) }, actions, events, outcome: 'Succeeded' };
  }

  // Health since the last step: the new versions in this wave's locations, the old ones anywhere.
  let next = state.next;
  let previous = state.previous;
  const seenAt: Record<string, string> = { ...state.seenAt };
  for (const [location, samples] of Object.entries(input.health)) {
    const since = seenAt[location] ?? '';
    let newest = since;
    for (const s of samples) {
      if (s.at <= since) continue;
      if (s.at > newest) newest = s.at;
      const totals = { requests: s.requests, errors: s.errors, p99Ms: s.p99Ms };
      if (input.newKeys.has(s.key) && wave.includes(location)) next = addTotals(next, totals);
      else if (input.oldKeys.has(s.key)) previous = addTotals(previous, totals);
    }
    seenAt[location] = newest;
  }

  // A failing gate rolls back at once, not at the end of the bake: every minute on a bad version hurts.
  if (next.requests >= plan.gate.minRequests) {
    const verdict = judgeGate(plan.gate, next, previous);
    if (!verdict.pass) {
      const reached = state.reached.length > 0 ? state.reached : wave;
      actions.push({ type: 'revert', locations: reached });
      events.push({ type: 'gate-failed', message: `wave ${state.waveIndex + 1} (${wave.join(', ')}): ${verdict.reason}; rolled back ${reached.join(', ')}` });
      return { state: { ...state, next, previous, seenAt }, actions, events, outcome: 'RolledBack' };
    }
  }

  const elapsedMs = input.nowMs - state.waveStartedAtMs;
  const percent = trafficPercentAt(plan.traffic, elapsedMs);
  let reached = state.reached;
  if (percent !== state.percent) {
    actions.push({ type: 'set-traffic', locations: wave, percent });
    if (state.percent === 0) events.push({ type: 'wave-started', message: `wave ${state.waveIndex + 1} of ${plan.waves.length}: ${wave.join(', ')} at ${percent} %` });
    else events.push({ type: 'traffic-shifted', message: `wave ${state.waveIndex + 1}: ${percent} % of viewers on the new versions` });
    reached = union(reached, wave);
  }

  if (elapsedMs < trafficCompleteAfterMs(plan.traffic) + plan.bakeMs) {
    return { state: { ...state, percent, reached, next, previous, seenAt }, actions, events };
  }
  const verdict = judgeGate(plan.gate, next, previous);
  if (!verdict.pass) {
    actions.push({ type: 'revert', locations: reached });
    events.push({ type: 'gate-failed', message: `wave ${state.waveIndex + 1} (${wave.join(', ')}): ${verdict.reason}; rolled back ${reached.join(', ')}` });
    return { state: { ...state, percent, reached, next, previous, seenAt }, actions, events, outcome: 'RolledBack' };
  }
  events.push({ type: 'gate-passed', message: `wave ${state.waveIndex + 1} (${wave.join(', ')}): ${verdict.reason}` });
  if (state.waveIndex + 1 >= plan.waves.length) {
    events.push({ type: 'succeeded', message: `all ${plan.waves.length} wave(s) done` });
    return { state: { ...state, percent, reached, next, previous, seenAt }, actions, events, outcome: 'Succeeded' };
  }
  return {
    state: { waveIndex: state.waveIndex + 1, waveStartedAtMs: input.nowMs, percent: 0, reached, next: EMPTY_TOTALS, previous: EMPTY_TOTALS, seenAt },
    actions,
    events,
  };
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
