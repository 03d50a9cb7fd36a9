/**
 * A rollout wave's health gate (issue 5 §2): the new function versions' error rate and p99 against
 * the old versions', over the wave's bake time, from the locations' heartbeats.
 */
import type { HealthGate } from './rollout-plan.ts';

/** Requests, errors and the worst p99 seen, summed over a wave's locations and bake time. */
export interface HealthTotals {
  readonly requests: number;
  readonly errors: number;
  /** The largest p99 reported in the window (a conservative merge of per-heartbeat p99s). */
  readonly p99Ms: number;
}

export const EMPTY_TOTALS: HealthTotals = { requests: 0, errors: 0, p99Ms: 0 };

export function addTotals(a: HealthTotals, b: HealthTotals): HealthTotals {
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, p99Ms: Math.max(a.p99Ms, b.p99Ms) };
}

export type GateVerdict =
  | { readonly pass: true; readonly reason: string }
  | { readonly pass: false; readonly reason: string };

const rate = (t: HealthTotals): number => (t.requests === 0 ? 0 : t.errors / t.requests);
const pct = (r: number): string => `${(r * 100).toFixed(2)} %`;

/** Judges the new versions (`next`) against the old ones (`previous`); the reason says why, with numbers. */
export function judgeGate(gate: HealthGate, next: HealthTotals, previous: HealthTotals): GateVerdict {
  if (next.requests < gate.minRequests) {
    return { pass: true, reason: `${next.requests} requests to the new versions (fewer than minRequests ${gate.minRequests}): nothing to judge` };
  }
  const nextRate = rate(next);
  const previousRate = rate(previous);
  if (nextRate > gate.maxErrorRate) {
    return { pass: false, reason: `error rate ${pct(nextRate)} over maxErrorRate ${pct(gate.maxErrorRate)} (${next.errors} of ${next.requests})` };
  }
  if (previous.requests > 0 && nextRate - previousRate > gate.maxErrorRateIncrease) {
    return { pass: false, reason: `error rate ${pct(nextRate)} against ${pct(previousRate)} before: more than maxErrorRateIncrease ${pct(gate.maxErrorRateIncrease)} worse` };
  }
  if (previous.requests > 0 && next.p99Ms > previous.p99Ms * gate.maxP99Ratio + gate.p99SlackMs) {
    return { pass: false, reason: `p99 ${next.p99Ms.toFixed(1)} ms against ${previous.p99Ms.toFixed(1)} ms before: over ${gate.maxP99Ratio} × + ${gate.p99SlackMs} ms` };
  }
  return { pass: true, reason: `error rate ${pct(nextRate)} (${next.errors} of ${next.requests}), p99 ${next.p99Ms.toFixed(1)} ms` };
}
