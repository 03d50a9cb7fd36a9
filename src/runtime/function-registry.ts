import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { FunctionConfig } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import { fingerprintFiles } from './bundle/input-fingerprint.ts';
import { loadFunctionVersion, type FunctionVersion } from './function-version.ts';

/** Files whose creation may satisfy an import that failed to resolve, so they trigger a reload. */
const SOURCE_EXTENSIONS: ReadonlySet<string> = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.json']);

/**
 * The current version of each configured function. Versions are immutable; changed code (with
 * `watch`) becomes a new version, so requests already running keep the isolates of the old one and
 * new requests get fresh isolates of the new one. Every version is bundled and module-checked before
 * it is used (see bundle/bundle-function.ts), so a missing module fails at load, not at a request.
 */
export class FunctionRegistry {
  private readonly versions = new Map<string, FunctionVersion>();
  private readonly configs = new Map<string, FunctionConfig>();
  /** --watch: per function, the watchers armed and the input files they were armed for. */
  private readonly watchers = new Map<string, { readonly watchers: FSWatcher[]; readonly files: string }>();
  /**
   * The inputs (and their hash) of each function's last bundle, the bundle cache key. Kept here, not
   * read off the version, because a rebundle that yields the same code keeps the old version but must
   * still record the new hash, or every later event would bundle again.
   */
  private readonly inputs = new Map<string, { readonly files: readonly string[]; readonly hash: string }>();
  private logger: Logger | undefined;
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
      this.inputs.set(config.name, { files: versions[i]!.inputFiles, hash: versions[i]!.inputsHash });
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
    const inputs = this.inputs.get(name);
    if (config === undefined || old === undefined || inputs === undefined) return undefined;
    // The bundle cache: unchanged inputs mean an unchanged bundle, so nothing to rebuild.
    if ((await fingerprintFiles(inputs.files, config.handler)) === inputs.hash) return undefined;
    const next = await loadFunctionVersion(config);
    if (this.versions.get(name) !== old) return undefined;
    this.inputs.set(name, { files: next.inputFiles, hash: next.inputsHash });
    // The inputs may have changed (a new import) even when the code did not: watch the new set.
    this.rearm(name, next.inputFiles);
    if (next.key === old.key) return undefined;
    this.prepare(next);
    this.versions.set(name, next);
    this.onRetire(old.key);
    return next;
  }

  /**
   * Development mode: picks up edited function files without a restart: anywhere inside a directory
   * function, and every file a bundle was made from (a single-file function's own imports, a
   * tsconfig.json, package.json). Directories are watched rather than files, since editors often save
   * by writing a new file and renaming it over the old one, which a watch on the old file never sees.
   */
  watch(logger: Logger): void {
    this.logger = logger;
    for (const name of this.configs.keys()) this.rearm(name, this.inputs.get(name)?.files ?? []);
  }

  /** (Re)arms the watchers of one function for `files`, unless they already watch exactly those. */
  private rearm(name: string, files: readonly string[]): void {
    const config = this.configs.get(name);
    if (this.logger === undefined || config === undefined) return;
    const key = [...files].sort().join('\0');
    const current = this.watchers.get(name);
    if (current?.files === key) return;
    for (const w of current?.watchers ?? []) w.close();
    let timer: NodeJS.Timeout | undefined;
    const changed = () => {
      // Editors write in several steps; settle before reading.
      clearTimeout(timer);
      timer = setTimeout(() => this.reloadAndLog(name), 50);
    };
    const watchers: FSWatcher[] = [];
    const add = (target: string, recursive: boolean, relevant: (file: string | null) => boolean) => {
      try {
        const watcher = watch(target, { recursive }, (_event, file) => {
          if (relevant(file)) changed();
        });
        watcher.on('error', () => undefined);
        watchers.push(watcher);
      } catch {
        // A directory that no longer exists: the next reload re-arms with the new inputs.
      }
    };
    const isDirectory = statSync(config.codePath, { throwIfNoEntry: false })?.isDirectory() === true;
    if (isDirectory) add(config.codePath, true, () => true);
    const inputSet = new Set(files);
    const dirs = new Set(files.map((f) => path.dirname(f)));
    if (!isDirectory) dirs.add(path.dirname(config.codePath));
    for (const dir of dirs) {
      if (isDirectory && !path.relative(config.codePath, dir).startsWith('..')) continue; // under the recursive watch
      // A file the bundle read, or a new source file (an import that did not resolve before may now).
      add(dir, false, (file) => file === null || inputSet.has(path.join(dir, file)) || SOURCE_EXTENSIONS.has(path.extname(file).toLowerCase()));
    }
    this.watchers.set(name, { watchers, files: key });
  }

  private reloadAndLog(name: string): void {
    const logger = this.logger;
    this.reload(name).then(
      (v) => {
        if (v) logger?.info({ type: 'function-reloaded', function: name, version: v.version }, `Reloaded ${name} (version ${v.version})`);
      },
      (err: unknown) => {
        const code = (err as { code?: string }).code ?? 'VERGE_ERR_FUNCTION_LOAD';
        logger?.warn({ type: 'function-reload-failed', code, function: name, err: (err as Error).message ?? String(err) }, `Could not reload ${name}; keeping the running version`);
      },
    );
  }

  close(): void {
    for (const { watchers } of this.watchers.values()) for (const w of watchers) w.close();
    this.watchers.clear();
    this.logger = undefined;
  }
}
