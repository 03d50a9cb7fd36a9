import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { KeyValueStoreConfig } from '../config/types.ts';
import { ConfigError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import { parseKeyValueStore, type KeyValueStoreData } from './kvs-data.ts';

interface OpenStore {
  data: KeyValueStoreData;
  /** The file's text when last read (loaded or refused): a directory event that left it unchanged is ignored. */
  text: string;
  created: Date;
  users: number;
  watcher: FSWatcher | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The key value stores of this process, by absolute file path. A store is data from one file, so
 * edge nodes (and isolates) that name the same file share one copy; the isolates of a function read
 * it through a narrow synchronous lookup (key in, value out, both strings: see
 * runtime/cff-loader.ts). Each open store watches its file: a valid new version replaces the data
 * at once; an invalid one is logged and the last good data keeps serving.
 */
const stores = new Map<string, OpenStore>();

/** The current data of the store in `file` (loaded on first use when no edge node opened it). */
export function keyValueStoreData(file: string): KeyValueStoreData {
  let store = stores.get(file);
  if (store === undefined) {
    const created = new Date();
    store = { ...load(file, created), created, users: 0, watcher: undefined, timer: undefined };
    stores.set(file, store);
  }
  return store.data;
}

function load(file: string, created: Date): { data: KeyValueStoreData; text: string } {
  const text = readFileSync(file, 'utf8');
  return { data: parseKeyValueStore(text, created, statSync(file).mtime), text };
}

/**
 * Loads every configured store (a file that does not load fails startup with a ConfigError naming
 * the store) and watches each file. Returns the function that releases them.
 */
export function openKeyValueStores(configs: readonly KeyValueStoreConfig[], logger: Logger): () => void {
  const problems: { path: string; message: string }[] = [];
  const opened: string[] = [];
  configs.forEach((config, i) => {
    let store = stores.get(config.file);
    if (store === undefined) {
      const created = new Date();
      try {
        store = { ...load(config.file, created), created, users: 0, watcher: undefined, timer: undefined };
      } catch (err) {
        problems.push({ path: `keyValueStores[${i}].file`, message: `${config.file}: ${(err as Error).message}` });
        return;
      }
      stores.set(config.file, store);
    }
    store.users++;
    store.watcher ??= watchStore(config, store, logger);
    opened.push(config.file);
  });
  const release = (): void => {
    for (const file of opened) {
      const store = stores.get(file);
      if (store === undefined) continue;
      if (--store.users <= 0) {
        store.watcher?.close();
        clearTimeout(store.timer);
        stores.delete(file);
      }
    }
    opened.length = 0;
  };
  if (problems.length > 0) {
    release();
    throw new ConfigError(problems, 'key value stores');
  }
  return release;
}

/**
 * Watches the file's directory, not the file: a watch on the file follows its inode, so after the
 * first atomic replace (write a temporary file, rename it over the store: editors, `mv`, Kubernetes
 * ConfigMaps) later changes would never be seen. The directory sees every write and every rename.
 * A ConfigMap mount swaps a `..data` symlink rather than the file's own name, so those events count too.
 */
function watchStore(config: KeyValueStoreConfig, store: OpenStore, logger: Logger): FSWatcher | undefined {
  const name = basename(config.file);
  const reload = (): void => {
    let text: string;
    try {
      text = readFileSync(config.file, 'utf8');
    } catch (err) {
      // Gone for a moment (deleted before its replacement is written): the next event reloads it.
      if (store.text !== '') warnReloadFailed(config, logger, err as Error);
      store.text = '';
      return;
    }
    if (text === store.text) return;
    store.text = text;
    try {
      store.data = parseKeyValueStore(text, store.created, statSync(config.file).mtime);
      logger.info({ type: 'kvs-reloaded', keyValueStore: config.id, file: config.file }, `Reloaded key value store ${config.id}`);
    } catch (err) {
      warnReloadFailed(config, logger, err as Error);
    }
  };
  try {
    const watcher = watch(dirname(config.file), (_event, filename) => {
      if (filename !== null && filename !== name && !filename.startsWith('..')) return;
      // Editors and `cp` write in several steps; settle before reading.
      clearTimeout(store.timer);
      store.timer = setTimeout(reload, 50);
      store.timer.unref();
    });
    watcher.on('error', () => undefined);
    watcher.unref();
    return watcher;
  } catch {
    return undefined;
  }
}

function warnReloadFailed(config: KeyValueStoreConfig, logger: Logger, err: Error): void {
  logger.warn(
    { type: 'kvs-reload-failed', code: 'VERGE_ERR_KVS_INVALID', keyValueStore: config.id, file: config.file, err: err.message },
    `Could not reload key value store ${config.id}; keeping its last good data`,
  );
}
