/**
 * What a staged rollout does, decided before it starts (issue 5 §2): the waves of locations a
 * distribution revision reaches one after another, how traffic moves to new function versions
 * within a location (CodeDeploy's AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute
 * and their custom forms), how long each wave bakes, and the health gates it must pass.
 */
import { z } from 'zod';

/** CodeDeploy's predefined Lambda deployment configurations, by their names. */
export const TRAFFIC_PRESETS = {
  AllAtOnce: { type: 'all-at-once' },
  Canary10Percent5Minutes: { type: 'canary', percent: 10, intervalMs: 5 * 60_000 },
  Canary10Percent10Minutes: { type: 'canary', percent: 10, intervalMs: 10 * 60_000 },
  Canary10Percent30Minutes: { type: 'canary', percent: 10, intervalMs: 30 * 60_000 },
  Linear10PercentEvery1Minute: { type: 'linear', percent: 10, intervalMs: 60_000 },
  Linear10PercentEvery2Minutes: { type: 'linear', percent: 10, intervalMs: 2 * 60_000 },
  Linear10PercentEvery10Minutes: { type: 'linear', percent: 10, intervalMs: 10 * 60_000 },
} as const;

const percent = z.number().gt(0).max(100);
const durationMs = z.int().min(0).max(7 * 24 * 3_600_000);

const trafficSchema = z.union([
  z.enum(Object.keys(TRAFFIC_PRESETS) as [keyof typeof TRAFFIC_PRESETS, ...(keyof typeof TRAFFIC_PRESETS)[]]),
  z.strictObject({ type: z.literal('all-at-once') }),
  // Canary: `percent` first, the rest after `intervalMs`.
  z.strictObject({ type: z.literal('canary'), percent, intervalMs: durationMs }),
  // Linear: `percent` more every `intervalMs` until 100.
  z.strictObject({ type: z.literal('linear'), percent, intervalMs: durationMs }),
]);

export const healthGateSchema = z.strictObject({
  // The new versions' error rate (errors / requests) may not pass this, whatever the old one's.
  maxErrorRate: z.number().min(0).max(1).default(0.05),
  // …nor exceed the old versions' by more than this (absolute, 0.01 = one point).
  maxErrorRateIncrease: z.number().min(0).max(1).default(0.01),
  // The new versions' p99 may not pass the old one's times this…
  maxP99Ratio: z.number().min(1).default(1.5),
  // …plus this much (small p99s are noisy).
  p99SlackMs: z.number().min(0).default(20),
  // Fewer requests to the new versions than this in a wave's bake: the gate has nothing to judge and passes (a quiet canary is not a failing one).
  minRequests: z.int().min(0).default(20),
});

export const rolloutRequestSchema = z
  .strictObject({
    revision: z.int().min(1),
    // Either the waves by share of locations (cumulative percentages, the first wave one canary
    // location when `canaryLocations` is set), or named lists, one wave each.
    waves: z.array(z.union([z.strictObject({ percent }), z.strictObject({ locations: z.array(z.string().min(1)).min(1) })])).min(1).optional(),
    canaryLocations: z.int().min(0).max(1000).default(1),
    traffic: trafficSchema.default('AllAtOnce'),
    bakeMs: durationMs.default(60_000),
    gate: healthGateSchema.prefault({}),
    comment: z.string().max(1024).default(''),
  });

export type RolloutRequest = z.infer<typeof rolloutRequestSchema>;
export type HealthGate = z.infer<typeof healthGateSchema>;
export type TrafficShift = { readonly type: 'all-at-once' } | { readonly type: 'canary' | 'linear'; readonly percent: number; readonly intervalMs: number };

export interface RolloutPlan {
  /** Locations per wave, in order; every location appears in exactly one wave. */
  readonly waves: readonly (readonly string[])[];
  readonly traffic: TrafficShift;
  readonly bakeMs: number;
  readonly gate: HealthGate;
}

/** The default waves when none are given: the canary location(s), then 25 % of all, then all. */
const DEFAULT_WAVE_PERCENTS = [25, 100];

/**
 * Expands a rollout request against the registered locations (sorted by name, so the canary is
 * predictable). Returns an error message naming the problem instead of a plan when it cannot be.
 */
export function planRollout(request: RolloutRequest, locations: readonly string[]): RolloutPlan | string {
  const all = [...new Set(locations)].sort();
  if (all.length === 0) return 'no locations are registered';
  const traffic: TrafficShift = typeof request.traffic === 'string' ? TRAFFIC_PRESETS[request.traffic] : request.traffic;
  const base = { traffic, bakeMs: request.bakeMs, gate: request.gate };
  const named = request.waves?.filter((w): w is { locations: string[] } => 'locations' in w);
  if (named !== undefined && named.length > 0) {
    if (named.length !== request.waves!.length) return 'waves must be all { locations } or all { percent }';
    const seen = new Set<string>();
    for (const wave of named) {
      for (const name of wave.locations) {
        if (!all.includes(name)) return `location "${name}" is not registered`;
        if (seen.has(name)) return `location "${name}" is in two waves`;
        seen.add(name);
      }
    }
    return { ...base, waves: named.map((w) => [...w.locations]) };
  }
  const percents = request.waves?.map((w) => (w as { percent: number }).percent) ?? DEFAULT_WAVE_PERCENTS;
  for (let i = 1; i < percents.length; i++) if (percents[i]! <= percents[i - 1]!) return 'wave percentages must increase';
  if (percents.at(-1) !== 100) return 'the last wave must reach 100 percent of locations';
  const waves: string[][] = [];
  let reached = 0;
  const canary = Math.min(request.canaryLocations, all.length);
  if (canary > 0) {
    waves.push(all.slice(0, canary));
    reached = canary;
  }
  for (const p of percents) {
    const upTo = Math.max(reached, Math.ceil((all.length * p) / 100));
    if (upTo > reached) waves.push(all.slice(reached, upTo));
    reached = upTo;
  }
  return { ...base, waves };
}

/**
 * The share (0..100) of a location's viewers on the new versions `elapsedMs` after the wave
 * started there: CodeDeploy's canary (one step, then all) and linear (equal steps) shapes.
 */
export function trafficPercentAt(traffic: TrafficShift, elapsedMs: number): number {
  if (traffic.type === 'all-at-once') return 100;
  if (traffic.type === 'canary') return elapsedMs < traffic.intervalMs ? traffic.percent : 100;
  const steps = traffic.intervalMs === 0 ? Infinity : Math.floor(elapsedMs / traffic.intervalMs);
  return Math.min(100, traffic.percent * (steps + 1));
}

/** When the traffic shift in a location is complete (100 % on the new versions). */
export function trafficCompleteAfterMs(traffic: TrafficShift): number {
  if (traffic.type === 'all-at-once') return 0;
  if (traffic.type === 'canary') return traffic.intervalMs;
  return traffic.intervalMs * (Math.ceil(100 / traffic.percent) - 1);
}
