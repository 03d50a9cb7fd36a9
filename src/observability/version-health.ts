/**
 * Per function version, since the last look: invocations, failures and durations, for the edge
 * agent's heartbeat (issue 5 §1: "per-version health (requests, errors, p99)") and the rollout's
 * health gates. Recorded by the hook runner on every invocation, so it is cheap: a counter pair and
 * one number pushed into a bounded sample per call; the p99 is computed only when the window is taken.
 */

/** What one version did in one window; `samplesMs` are durations (all, or a uniform sample of them). */
export interface VersionWindow {
  readonly name: string;
  readonly requests: number;
  readonly errors: number;
  readonly samplesMs: number[];
}

/** Durations kept per version and window; past it, reservoir sampling keeps a uniform sample (Vitter's algorithm R). */
const MAX_SAMPLES = 2048;

export class VersionHealth {
  private windows = new Map<string, { requests: number; errors: number; samplesMs: number[] }>();

  /** One invocation of the function `name` (the config's function name) that took durationMs (undefined: refused before it ran). */
  record(name: string, durationMs: number | undefined, ok: boolean): void {
    const w = this.window(name);
    w.requests++;
    if (!ok) w.errors++;
    if (durationMs === undefined) return;
    if (w.samplesMs.length < MAX_SAMPLES) w.samplesMs.push(durationMs);
    else {
      const slot = Math.floor(Math.random() * w.requests);
      if (slot < MAX_SAMPLES) w.samplesMs[slot] = durationMs;
    }
  }

  /** The invocation recorded last as a success failed after all (its result was invalid). */
  markFailed(name: string): void {
    this.window(name).errors++;
  }

  private window(name: string): { requests: number; errors: number; samplesMs: number[] } {
    let w = this.windows.get(name);
    if (w === undefined) this.windows.set(name, (w = { requests: 0, errors: 0, samplesMs: [] }));
    return w;
  }

  /** The windows since the previous call; starts new ones. */
  take(): VersionWindow[] {
    const taken = this.windows;
    this.windows = new Map();
    return [...taken].map(([name, w]) => ({ name, ...w }));
  }
}

/** The 99th percentile (nearest rank) of samples, 0 when there are none. */
export function p99(samplesMs: readonly number[]): number {
  if (samplesMs.length === 0) return 0;
  const sorted = samplesMs.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
}

/** Windows of the same versions (from several workers) as one: counts add up, samples join. */
export function mergeWindows(windows: readonly VersionWindow[]): VersionWindow[] {
  const byName = new Map<string, { requests: number; errors: number; samplesMs: number[] }>();
  for (const w of windows) {
    const m = byName.get(w.name);
    if (m === undefined) byName.set(w.name, { requests: w.requests, errors: w.errors, samplesMs: [...w.samplesMs] });
    else {
      m.requests += w.requests;
      m.errors += w.errors;
      m.samplesMs.push(...w.samplesMs);
    }
  }
  return [...byName].map(([name, w]) => ({ name, ...w }));
}
