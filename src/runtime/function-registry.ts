import { watch, type FSWatcher } from 'node:fs';
import type { FunctionConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { loadFunctionVersion, type FunctionVersion } from './function-version.ts';

/**
 * The current version of each configured function. Versions are immutable; a changed code file (with
 * `watch`) becomes a new version, so requests already running keep the isolates of the old one and
 * new requests get fresh isolates of the new one.
 */
export class FunctionRegistry {
  private readonly versions = new Map<string, FunctionVersion>();
  private readonly configs = new Map<string, FunctionConfig>();
  private readonly watchers: FSWatcher[] = [];
  private readonly onRetire: (versionKey: string) => void;
  private readonly prepare: (version: FunctionVersion) => void;

  /**
   * `prepare` loads a new version before it replaces the running one (and throws when it does not
   * load); `onRetire` frees what the replaced version held.
   */
  constructor(functions: readonly FunctionConfig[], onRetire: (versionKey: string) => void, prepare: (version: FunctionVersion) => void = () => undefined) {
    this.onRetire = onRetire;
    this.prepare = prepare;
    for (const config of functions) {
      this.configs.set(config.name, config);
      this.versions.set(config.name, loadFunctionVersion(config));
    }
  }

  get(name: string): FunctionVersion {
    const v = this.versions.get(name);
    // Config validation guarantees every association names a configured function.
    if (v === undefined) throw new Error(`unknown function ${name}`);
    return v;
  }

  /**
   * Re-reads a function's code; a different hash replaces the version once it has loaded into a warm
   * isolate, so an edit that does not load (a syntax error) keeps the running version serving.
   * Returns the new version if any; throws the load error otherwise.
   */
  reload(name: string): FunctionVersion | undefined {
    const config = this.configs.get(name);
    const old = this.versions.get(name);
    if (config === undefined || old === undefined) return undefined;
    const next = loadFunctionVersion(config);
    if (next.key === old.key) return undefined;
    this.prepare(next);
    this.versions.set(name, next);
    this.onRetire(old.key);
    return next;
  }

  /** Development mode: picks up edited function files without a restart. */
  watch(logger: Logger): void {
    for (const [name, config] of this.configs) {
      let timer: NodeJS.Timeout | undefined;
      const watcher = watch(config.codePath, () => {
        // Editors write in several steps; settle before reading.
        clearTimeout(timer);
        timer = setTimeout(() => {
          try {
            const v = this.reload(name);
            if (v) logger.info({ type: 'function-reloaded', function: name, version: v.version }, `Reloaded ${name} (version ${v.version})`);
          } catch (err) {
            const code = (err as { code?: string }).code ?? 'VERGE_ERR_FUNCTION_LOAD';
            logger.warn({ type: 'function-reload-failed', code, function: name, err: (err as Error).message ?? String(err) }, `Could not reload ${name}; keeping the running version`);
          }
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
