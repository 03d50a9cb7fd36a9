/**
 * The control plane's side of the edge API (revision-document.ts lists the routes): edge nodes
 * register their location, long-poll for the document of their desired generation, fetch code by
 * sha256 and report heartbeats with per-version health.
 *
 * A location that registers for the first time (nothing desired yet) is given the newest
 * deployment that went to every location, so an edge node added later serves what the others do.
 */
import { ControlInvalidError, ControlNotFoundError } from '../errors/control-errors.ts';
import type { ControlStore, LocationRecord } from './control-store.ts';
import type { DesiredStateSignal } from './desired-state-signal.ts';
import { resolveRevision, type ResolveOptions } from './revision-resolver.ts';
import { revisionDocumentSchema, type EdgeHeartbeat, type RevisionDocument } from './revision-document.ts';

/** The config file's `location` rule (schema.ts), with a length cap. */
export const LOCATION_NAME = /^[a-z0-9-]{1,64}$/;
/** A long poll waits at most this long, under common proxies' 60 s idle timeouts. */
export const MAX_WAIT_MS = 55_000;
/** How often a waiting long poll re-reads the store (changes by another process). */
const RECHECK_MS = 1_000;

export class EdgeService {
  readonly #store: ControlStore;
  readonly #signal: DesiredStateSignal;
  readonly #options: ResolveOptions;

  constructor(store: ControlStore, signal: DesiredStateSignal, options: ResolveOptions) {
    this.#store = store;
    this.#signal = signal;
    this.#options = options;
  }

  async register(name: string, url: string | undefined): Promise<LocationRecord> {
    checkName(name);
    const location = await this.#store.registerLocation(name, url);
    if (location.desiredGeneration > 0) return location;
    const latest = (await this.#store.listDeployments(undefined, 'Succeeded')).filter((d) => d.plan.locations === 'all').sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
    if (latest === undefined) return location;
    const r = await this.#store.getRevision(latest.distributionId, latest.revision);
    const document = await resolveRevision(this.#store, r.distributionId, r.revision, r.config, this.#options);
    return this.#store.setDesired(name, { distributionId: r.distributionId, revision: r.revision, document });
  }

  /** The location's document once its desired generation is past `after`, waiting up to `waitMs`; undefined when it is not. */
  async waitForRevision(name: string, after: number, waitMs: number, signal?: AbortSignal): Promise<RevisionDocument | undefined> {
    checkName(name);
    const deadline = Date.now() + Math.min(waitMs, MAX_WAIT_MS);
    for (;;) {
      const location = await this.#store.getLocation(name);
      if (location.desiredGeneration > after && location.desiredDocument !== null && location.desiredDocument !== undefined) {
        // The record's generation is the truth (the store assigns it with the document).
        return revisionDocumentSchema.parse({ ...(location.desiredDocument as object), generation: location.desiredGeneration });
      }
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted === true) return undefined;
      await this.#signal.wait(name, Math.min(left, RECHECK_MS), signal);
    }
  }

  async heartbeat(name: string, beat: EdgeHeartbeat): Promise<{ desiredGeneration: number }> {
    checkName(name);
    const location = await this.#store.recordHeartbeat(name, beat);
    return { desiredGeneration: location.desiredGeneration };
  }

  async code(sha256: string): Promise<Uint8Array> {
    const bytes = /^[0-9a-f]{64}$/.test(sha256) ? await this.#store.getCode(sha256) : undefined;
    if (bytes === undefined) throw new ControlNotFoundError(`No code with sha256 ${sha256}`, { sha256 });
    return bytes;
  }

  list(): Promise<LocationRecord[]> {
    return this.#store.listLocations();
  }

  get(name: string): Promise<LocationRecord> {
    return this.#store.getLocation(name);
  }
}

function checkName(name: string): void {
  if (!LOCATION_NAME.test(name)) throw new ControlInvalidError(`Location name ${JSON.stringify(name)} must be 1-64 characters from a-z 0-9 - (as the config file's location)`);
}
