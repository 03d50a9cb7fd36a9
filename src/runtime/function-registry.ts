import { statSync, watch, type FSWatcher } from 'node:fs';
import type { FunctionConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { fingerprintFiles } from './bundle/input-fingerprint.ts';
import { loadFunctionVersion, type FunctionVersion } from './function-version.ts';

/**
 * The current version of each configured function. Versions are immutable; changed code (with
 * `watch`) becomes a new version, so requests already running keep the isolates of the old one and
 * new requests get fresh isolates of the new one. Every version is bundled and module-checked before
 * it is used (see bundle/bundle-function.ts), so a missing module fails at load, not at a request.
 */
export class FunctionRegistry {
  private readonly versions = new Map<string, FunctionVersion>();
  private readonly configs = new Map<string, FunctionConfig>();
  private readonly watchers: FSWatcher[] = [];
  /** One reload at a time per function: a later change waits for the bundle of an earlier one. */
  private readonly reloading = new Map<string, Promise<unknown>>();
  private readonly onRetire: (versionKey: string) => void;
  private readonly prepare: (version: FunctionVersion) => void;

  /**
   * Loads (bundles and checks) every function, in parallel, off the node's thread.
   * `prepare` loads a new version before it replaces the running one (and throws when it does not
   * load); `onRetire` frees what the replaced version held.
   * @throws LambdaExecutionError VERGE_ERR_FUNCTION_LOAD for the first function that does not load.
   */
  static async load(
    functions: readonly FunctionConfig[],
    onRetire: (versionKey: string) => void,
    prepare: (version: FunctionVersion) => void = () => undefined,
  ): Promise<FunctionRegistry> {
    const versions = await Promise.all(functions.map((config) => loadFunctionVersion(config)));
    return new FunctionRegistry(functions, versions, onRetire, prepare);
  }

  private constructor(
    functions: readonly FunctionConfig[],
    versions: readonly FunctionVersion[],
    onRetire: (versionKey: string) => void,
    prepare: (version: FunctionVersion) => void,
  ) {
    this.onRetire = onRetire;
    this.prepare = prepare;
    functions.forEach((config, i) => {
      this.configs.set(config.name, config);
      this.versions.set(config.name, versions[i]!);
    });
  }

  get(name: string): FunctionVersion {
    const v = this.versions.get(name);
    // Config validation guarantees every association names a configured function.
    if (v === undefined) throw new Error(`unknown function ${name}`);
    return v;
  }

  /**
   * Re-reads a function's code; when its inputs' content hash changed, bundles it again, and a
   * different code hash replaces the version once it has loaded into a warm isolate, so an edit that
   * does not load (a syntax error, a missing module) keeps the running version serving.
   * Returns the new version if any; throws the load error otherwise.
   */
  reload(name: string): Promise<FunctionVersion | undefined> {
    const previous = this.reloading.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.reloadNow(name));
    this.reloading.set(name, next);
    return next;
  }

  private async reloadNow(name: string): Promise<FunctionVersion | undefined> {
    const config = this.configs.get(name);
    const old = this.versions.get(name);
    if (config === undefined || old === undefined) return undefined;
    // The bundle cache: unchanged inputs mean an unchanged bundle, so nothing to rebuild.
    if ((await fingerprintFiles(old.inputFiles, config.handler)) === old.inputsHash) return undefined;
    const next = await loadFunctionVersion(config);
    if (next.key === old.key || this.versions.get(name) !== old) return undefined;
    this.prepare(next);
    this.versions.set(name, next);
    this.onRetire(old.key);
    return next;
  }

  /** Development mode: picks up edited function files (anywhere inside a directory function) without a restart. */
  watch(logger: Logger): void {
    for (const [name, config] of this.configs) {
      let timer: NodeJS.Timeout | undefined;
      const recursive = statSync(config.codePath, { throwIfNoEntry: false })?.isDirectory() === true;
      const watcher = watch(config.codePath, { recursive }, () => {
        // Editors write in several steps; settle before reading.
        clearTimeout(timer);
        timer = setTimeout(() => {
          this.reload(name).then(
            (v) => {
              if (v) logger.info({ type: 'function-reloaded', function: name, version: v.version }, `Reloaded ${name} (version ${v.version})`);
            },
            (err: unknown) => {
              const code = (err as { code?: string }).code ?? 'VERGE_ERR_FUNCTION_LOAD';
              logger.warn({ type: 'function-reload-failed', code, function: name, err: (err as Error).message ?? String(err) }, `Could not reload ${name}; keeping the running version`);
            },
          );
        }, 50);
      });
      watcher.on('error', () => undefined);
      this.watchers.push(watcher);
    }
  }

  close(): void {
    for (const w of this.watchers) w.close();
  }
}
