/**
 * Aliases as Lambda keeps them: a name pointing at a published version, with optional weighted
 * routing to one more version (RoutingConfig.AdditionalVersionWeights). The store checks the rules
 * (alias-routing.ts) and that the versions exist; this layer is where the admin API and the CLI
 * meet it, and where a change of an alias would later trigger a redeploy.
 */
import type { Alias, ControlStore } from './control-store.ts';

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

  create(functionName: string, input: AliasInput): Promise<Alias> {
    return this.#store.createAlias(functionName, input);
  }

  update(functionName: string, name: string, patch: AliasPatch): Promise<Alias> {
    const { revisionId, ...changes } = patch;
    return this.#store.updateAlias(functionName, name, changes, revisionId);
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
}
