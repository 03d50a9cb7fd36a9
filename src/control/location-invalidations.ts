/**
 * Invalidations through the control plane (issue 5 §3): one request reaches every location. The
 * control plane keeps them (in memory, the newest 100) and hands each location its pending ones in
 * the answer to its heartbeat; the node purges its workers' caches and reports the count in its next
 * heartbeat (sent at once). Pull, like revisions: it works wherever the node can reach the control
 * plane, and a node that is down catches up when it comes back.
 */
import { newInvalidationId } from '../admin/invalidation-id.ts';

export interface PendingInvalidation {
  readonly id: string;
  readonly paths: readonly string[];
  readonly tags: readonly string[];
}

export interface LocationInvalidation extends PendingInvalidation {
  readonly status: 'InProgress' | 'Completed';
  readonly createTime: string;
  readonly completeTime?: string;
  readonly createdBy: string;
  /** Entries purged, summed over the locations that have reported. */
  readonly purged: number;
  /** Per location: `pending`, or the entries it purged. */
  readonly locations: Readonly<Record<string, 'pending' | { readonly purged: number }>>;
}

const KEPT = 100;

export class LocationInvalidations {
  readonly #records = new Map<string, LocationInvalidation>();

  create(request: { paths: readonly string[]; tags: readonly string[] }, locations: readonly string[], createdBy: string): LocationInvalidation {
    const record: LocationInvalidation = {
      id: newInvalidationId(),
      status: locations.length === 0 ? 'Completed' : 'InProgress',
      createTime: new Date().toISOString(),
      ...(locations.length === 0 ? { completeTime: new Date().toISOString() } : {}),
      createdBy,
      paths: [...request.paths],
      tags: [...request.tags],
      purged: 0,
      locations: Object.fromEntries(locations.map((l) => [l, 'pending' as const])),
    };
    this.#records.set(record.id, record);
    // Bounded: the oldest go first (a Map iterates in insertion order).
    while (this.#records.size > KEPT) this.#records.delete(this.#records.keys().next().value!);
    return record;
  }

  /** What a location still has to purge. */
  pendingFor(location: string): PendingInvalidation[] {
    const out: PendingInvalidation[] = [];
    for (const r of this.#records.values()) if (r.locations[location] === 'pending') out.push({ id: r.id, paths: r.paths, tags: r.tags });
    return out;
  }

  /** A location reports one done; unknown ids (forgotten, or from before a restart) are ignored. */
  done(location: string, id: string, purged: number): void {
    const r = this.#records.get(id);
    if (r === undefined || r.locations[location] !== 'pending') return;
    const locations = { ...r.locations, [location]: { purged } };
    const complete = Object.values(locations).every((v) => v !== 'pending');
    this.#records.set(id, { ...r, locations, purged: r.purged + purged, ...(complete ? { status: 'Completed' as const, completeTime: new Date().toISOString() } : {}) });
  }

  get(id: string): LocationInvalidation | undefined {
    return this.#records.get(id);
  }

  /** Newest first. */
  list(): LocationInvalidation[] {
    return [...this.#records.values()].reverse();
  }
}
