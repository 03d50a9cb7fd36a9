/**
 * Aliases as Lambda keeps them: a name pointing at a published version, with optional weighted
 * routing to one more version (RoutingConfig.AdditionalVersionWeights: "You can specify only one
 * additional version", weight 0.0–1.0). Versions are checked to exist before the store is asked,
 * so a typo is a 400 naming the field rather than a 404 for the alias.
 */
import { AdminBadRequestError } from '../errors/admin-errors.ts';
import type { Alias, ControlStore } from './control-store.ts';
import { isNotFound } from './store-errors.ts';

export interface AliasInput {
  readonly name: string;
  readonly functionVersion: number;
  readonly additionalVersionWeights?: Record<string, number>;
  readonly description?: string;
}

export interface AliasPatch {
  readonly functionVersion?: number;
  readonly additionalVersionWeights?: Record<string, number>;
  readonly description?: string;
  readonly revisionId?: string;
}

export class AliasesService {
  readonly #store: ControlStore;

  constructor(store: ControlStore) {
    this.#store = store;
  }

  async create(functionName: string, input: AliasInput): Promise<Alias> {
    await this.#store.getFunction(functionName);
    await this.#checkVersions(functionName, input.functionVersion, input.additionalVersionWeights);
    return this.#store.createAlias(functionName, input);
  }

  async update(functionName: string, name: string, patch: AliasPatch): Promise<Alias> {
    const { revisionId, ...changes } = patch;
    const current = await this.#store.getAlias(functionName, name);
    const version = changes.functionVersion ?? current.functionVersion;
    // Moving the alias without new weights keeps the old ones only while they still make sense.
    const weights = changes.additionalVersionWeights ?? (changes.functionVersion !== undefined && String(changes.functionVersion) in current.additionalVersionWeights ? {} : current.additionalVersionWeights);
    await this.#checkVersions(functionName, version, weights);
    return this.#store.updateAlias(functionName, name, { ...changes, additionalVersionWeights: { ...weights } }, revisionId);
  }

  get(functionName: string, name: string): Promise<Alias> {
    return this.#store.getAlias(functionName, name);
  }

  list(functionName: string): Promise<Alias[]> {
    return this.#store.listAliases(functionName);
  }

  delete(functionName: string, name: string): Promise<void> {
    return this.#store.deleteAlias(functionName, name);
  }

  async #checkVersions(functionName: string, functionVersion: number, weights: Readonly<Record<string, number>> = {}): Promise<void> {
    const entries = Object.entries(weights);
    if (entries.length > 1) throw new AdminBadRequestError('additionalVersionWeights: at most one additional version (Lambda\'s routing configuration)', { issues: [{ path: 'additionalVersionWeights', message: 'at most one additional version' }] });
    for (const [key, weight] of entries) {
      if (!/^[1-9][0-9]{0,9}$/.test(key)) throw badField(`additionalVersionWeights.${key}`, 'must be a published version number');
      if (Number(key) === functionVersion) throw badField(`additionalVersionWeights.${key}`, `is the alias's own version (functionVersion ${functionVersion}); name another version`);
      if (!(weight >= 0 && weight <= 1)) throw badField(`additionalVersionWeights.${key}`, 'weight must be from 0.0 to 1.0');
    }
    for (const [field, version] of [['functionVersion', functionVersion] as const, ...entries.map(([k]) => [`additionalVersionWeights.${k}`, Number(k)] as const)]) {
      try {
        await this.#store.getVersion(functionName, version);
      } catch (err) {
        if (isNotFound(err)) throw badField(field, `${functionName} has no published version ${version}`);
        throw err;
      }
    }
  }
}

const badField = (path: string, message: string) => new AdminBadRequestError(`${path}: ${message}`, { issues: [{ path, message }] });
