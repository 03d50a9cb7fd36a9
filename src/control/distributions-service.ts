/**
 * Distributions as numbered revisions: each save of a distribution's configuration (config-file
 * shaped: origins, behaviors naming `fn:3` / `fn:alias`, cache, …) is checked by resolving it
 * (revision-resolver.ts) before the store numbers it, so a revision naming a missing function,
 * version or alias, or breaking a rule of the config file, is never saved.
 */
import { ControlInvalidRevisionError } from '../errors/control-plane-errors.ts';
import type { ControlStore, DistributionRevision } from './control-store.ts';
import { DISTRIBUTION_ID } from './distribution-config.ts';
import { resolveRevision, type ResolveOptions } from './revision-resolver.ts';
import type { RevisionDocument } from './revision-document.ts';

export class DistributionsService {
  readonly #store: ControlStore;
  readonly #options: ResolveOptions;

  constructor(store: ControlStore, options: ResolveOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Saves a new revision. @throws ControlInvalidRevisionError naming each path at fault */
  async save(distributionId: string, config: Record<string, unknown>, meta: { comment?: string; createdBy: string }): Promise<DistributionRevision> {
    checkId(distributionId);
    const next = ((await this.#store.listDistributions()).find((d) => d.distributionId === distributionId)?.latestRevision ?? 0) + 1;
    // Resolved (and thrown away) only to check it; a deployment resolves it again, with the aliases of then.
    await resolveRevision(this.#store, distributionId, next, config, this.#options);
    return this.#store.createRevision(distributionId, config, meta);
  }

  /** The document an edge node would get for this revision now. */
  async resolve(distributionId: string, revision: number): Promise<RevisionDocument> {
    const r = await this.#store.getRevision(distributionId, revision);
    return resolveRevision(this.#store, distributionId, r.revision, r.config, this.#options);
  }

  get(distributionId: string, revision: number): Promise<DistributionRevision> {
    return this.#store.getRevision(distributionId, revision);
  }

  list(distributionId: string): Promise<DistributionRevision[]> {
    return this.#store.listRevisions(distributionId);
  }

  listDistributions(): Promise<{ distributionId: string; latestRevision: number }[]> {
    return this.#store.listDistributions();
  }
}

function checkId(distributionId: string): void {
  if (!DISTRIBUTION_ID.test(distributionId)) {
    throw new ControlInvalidRevisionError([{ path: 'distributionId', message: 'must be 1-64 upper-case letters or digits, like a CloudFront distribution id' }], `Distribution ${JSON.stringify(distributionId)} cannot be saved`);
  }
}
