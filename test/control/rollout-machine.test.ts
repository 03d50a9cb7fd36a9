import { describe, expect, test } from 'vitest';
import { judgeGate } from '../../src/control/health-gate.ts';
import { planRollout, rolloutRequestSchema, trafficCompleteAfterMs, trafficPercentAt, type RolloutPlan } from '../../src/control/rollout-plan.ts';
import { startRollout, stepRollout, type HealthSample, type RolloutState, type TickInput } from '../../src/control/rollout-machine.ts';

// The rollout's decisions, without a control plane: plans, traffic shapes, gates, and the state
// machine stepping through waves, rolling back and obeying promote / abort.

const LOCATIONS = ['ams', 'fra', 'iad', 'lhr', 'nrt', 'sfo', 'sin', 'syd'];
const request = (body: Record<string, unknown>) => rolloutRequestSchema.parse({ revision: 2, ...body });
const mustPlan = (body: Record<string, unknown>, locations = LOCATIONS): RolloutPlan => {
  const plan = planRollout(request(body), locations);
  if (typeof plan === 'string') throw new Error(plan);
  return plan;
};

describe('plans', () => {
  test('by default: one canary location, then 25 % of all, then the rest', () => {
    expect(mustPlan({}).waves).toEqual([['ams'], ['fra'], ['iad', 'lhr', 'nrt', 'sfo', 'sin', 'syd']]);
  });
  test('percent waves are cumulative shares of all locations', () => {
    expect(mustPlan({ canaryLocations: 0, waves: [{ percent: 50 }, { percent: 100 }] }).waves).toEqual([LOCATIONS.slice(0, 4), LOCATIONS.slice(4)]);
  });
  test('named waves are taken as given, each location once', () => {
    expect(mustPlan({ waves: [{ locations: ['sfo'] }, { locations: ['ams', 'fra'] }] }).waves).toEqual([['sfo'], ['ams', 'fra']]);
    expect(planRollout(request({ waves: [{ locations: ['mars'] }] }), LOCATIONS)).toBe('location "mars" is not registered');
    expect(planRollout(request({ waves: [{ locations: ['sfo'] }, { locations: ['sfo'] }] }), LOCATIONS)).toBe('location "sfo" is in two waves');
  });
  test('percentages must increase to 100, and there must be locations', () => {
    expect(planRollout(request({ waves: [{ percent: 50 }, { percent: 40 }] }), LOCATIONS)).toBe('wave percentages must increase');
    expect(planRollout(request({ waves: [{ percent: 50 }] }), LOCATIONS)).toBe('the last wave must reach 100 percent of locations');
    expect(planRollout(request({}), [])).toBe('no locations are registered');
  });
  test("CodeDeploy's presets shift traffic as their names say", () => {
    const canary = mustPlan({ traffic: 'Canary10Percent5Minutes' }).traffic;
    expect([trafficPercentAt(canary, 0), trafficPercentAt(canary, 299_999), trafficPercentAt(canary, 300_000)]).toEqual([10, 10, 100]);
    const linear = mustPlan({ traffic: 'Linear10PercentEvery1Minute' }).traffic;
    expect([0, 59_999, 60_000, 540_000, 600_000].map((t) => trafficPercentAt(linear, t))).toEqual([10, 10, 20, 100, 100]);
    expect(trafficCompleteAfterMs(linear)).toBe(540_000);
    expect(trafficPercentAt(mustPlan({}).traffic, 0)).toBe(100);
  });
});

describe('gates', () => {
  const gate = rolloutRequestSchema.parse({ revision: 1 }).gate;
  test('too few requests to judge passes; an error rate over the cap fails, naming the numbers', () => {
    expect(judgeGate(gate, { requests: 5, errors: 5, p99Ms: 1 }, { requests: 100, errors: 0, p99Ms: 1 }).pass).toBe(true);
    const verdict = judgeGate(gate, { requests: 100, errors: 10, p99Ms: 1 }, { requests: 100, errors: 0, p99Ms: 1 });
    expect(verdict).toEqual({ pass: false, reason: 'error rate 10.00 % over maxErrorRate 5.00 % (10 of 100)' });
  });
  test('worse than before by more than the allowed increase fails, and so does a p99 far above the old one', () => {
    expect(judgeGate(gate, { requests: 100, errors: 3, p99Ms: 1 }, { requests: 100, errors: 0, p99Ms: 1 }).pass).toBe(false);
    expect(judgeGate(gate, { requests: 100, errors: 0, p99Ms: 200 }, { requests: 100, errors: 0, p99Ms: 50 }).pass).toBe(false);
    expect(judgeGate(gate, { requests: 100, errors: 0, p99Ms: 60 }, { requests: 100, errors: 0, p99Ms: 50 }).pass).toBe(true);
  });
});

describe('the state machine', () => {
  const NEW = new Set(['fn:2']);
  const OLD = new Set(['fn:1']);
  let clock = 0;
  const sample = (key: string, requests: number, errors: number): HealthSample => ({ key, requests, errors, p99Ms: 5, at: new Date(++clock * 1000).toISOString() });
  const tick = (nowMs: number, health: TickInput['health'] = {}, command?: 'promote' | 'abort'): TickInput => ({ nowMs, health, newKeys: NEW, oldKeys: OLD, command });

  test('a healthy rollout goes wave by wave: traffic set, baked, gate passed, next wave, succeeded', () => {
    const plan = mustPlan({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 1_000 }, ['ams', 'fra', 'iad']);
    let state: RolloutState = startRollout(0);
    let r = stepRollout(plan, state, tick(0));
    expect(r.actions).toEqual([{ type: 'set-traffic', locations: ['ams'], percent: 100 }]);
    expect(r.outcome).toBeUndefined();
    state = r.state;
    r = stepRollout(plan, state, tick(500, { ams: [sample('fn:2', 50, 0)], fra: [sample('fn:1', 50, 0)] }));
    expect(r.actions).toEqual([]);
    state = r.state;
    r = stepRollout(plan, state, tick(1_000));
    expect(r.events.map((e) => e.type)).toEqual(['gate-passed']);
    expect(r.state.waveIndex).toBe(1);
    state = r.state;
    r = stepRollout(plan, state, tick(1_100));
    expect(r.actions).toEqual([{ type: 'set-traffic', locations: ['fra', 'iad'], percent: 100 }]);
    state = r.state;
    r = stepRollout(plan, state, tick(2_200));
    expect(r.outcome).toBe('Succeeded');
    expect(r.state.reached).toEqual(['ams', 'fra', 'iad']);
  });

  test('a version that throws fails the canary gate as soon as it has enough requests: rolled back where it went, the next waves never get it', () => {
    const plan = mustPlan({ waves: [{ locations: ['ams'] }, { locations: ['fra', 'iad'] }], bakeMs: 60_000 }, ['ams', 'fra', 'iad']);
    let r = stepRollout(plan, startRollout(0), tick(0));
    r = stepRollout(plan, r.state, tick(2_000, { ams: [sample('fn:2', 40, 40)], fra: [sample('fn:1', 40, 0)] }));
    expect(r.outcome).toBe('RolledBack');
    expect(r.actions).toEqual([{ type: 'revert', locations: ['ams'] }]);
    expect(r.events[0]!.message).toMatch(/^wave 1 \(ams\): error rate 100\.00 % over maxErrorRate/);
  });

  test('samples are counted once: the same heartbeat seen twice does not double the totals', () => {
    const plan = mustPlan({ waves: [{ locations: ['ams'] }], bakeMs: 60_000 }, ['ams']);
    const s = sample('fn:2', 10, 0);
    let r = stepRollout(plan, startRollout(0), tick(0, { ams: [s] }));
    r = stepRollout(plan, r.state, tick(1, { ams: [s] }));
    expect(r.state.next.requests).toBe(10);
  });

  test('canary traffic within a location steps up, and the bake starts after the shift is complete', () => {
    const plan = mustPlan({ waves: [{ locations: ['ams'] }], traffic: { type: 'canary', percent: 10, intervalMs: 1_000 }, bakeMs: 1_000 }, ['ams']);
    let r = stepRollout(plan, startRollout(0), tick(0));
    expect(r.actions).toEqual([{ type: 'set-traffic', locations: ['ams'], percent: 10 }]);
    r = stepRollout(plan, r.state, tick(1_000));
    expect(r.actions).toEqual([{ type: 'set-traffic', locations: ['ams'], percent: 100 }]);
    expect(r.outcome).toBeUndefined();
    r = stepRollout(plan, r.state, tick(2_000));
    expect(r.outcome).toBe('Succeeded');
  });

  test('promote puts every remaining location at 100 % at once; abort reverts what was reached', () => {
    const plan = mustPlan({ waves: [{ locations: ['ams'] }, { locations: ['fra'] }], bakeMs: 60_000 }, ['ams', 'fra']);
    const started = stepRollout(plan, startRollout(0), tick(0)).state;
    const promoted = stepRollout(plan, started, tick(10, {}, 'promote'));
    expect([promoted.outcome, promoted.actions]).toEqual(['Succeeded', [{ type: 'set-traffic', locations: ['ams', 'fra'], percent: 100 }]]);
    const aborted = stepRollout(plan, started, tick(10, {}, 'abort'));
    expect([aborted.outcome, aborted.actions]).toEqual(['Aborted', [{ type: 'revert', locations: ['ams'] }]]);
  });
});
