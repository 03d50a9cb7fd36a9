import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { KeyValueStoreConfig } from '../config/types.ts';
import { ConfigError } from '../errors/verge-error.ts';
import type { Logger } from '../observability/logger.ts';
import { parseKeyValueStore, type KeyValueStoreData } from './kvs-data.ts';

interface OpenStore {
  data: KeyValueStoreData;
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
    store = { data: load(file, new Date()), created: new Date(), users: 0, watcher: undefined, timer: undefined };
    stores.set(file, store);
  }
  return store.data;
}

function load(file: string, created: Date): KeyValueStoreData {
  const text = readFileSync(file, 'utf8');
  return parseKeyValueStore(text, created, statSync(file).mtime);
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
        store = { data: load(config.file, created), created, users: 0, watcher: undefined, timer: undefined };
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

function watchStore(config: KeyValueStoreConfig, store: OpenStore, logger: Logger): FSWatcher | undefined {
  try {
    const watcher = watch(config.file, () => {
      // Editors and `cp` write in several steps; settle before reading.
      clearTimeout(store.timer);
      store.timer = setTimeout(() => {
        try {
          store.data = load(config.file, store.created);
          logger.info({ type: 'kvs-reloaded', keyValueStore: config.id, file: config.file }, `Reloaded key value store ${config.id}`);
        } catch (err) {
          logger.warn(
            { type: 'kvs-reload-failed', code: 'VERGE_ERR_KVS_INVALID', keyValueStore: config.id, file: config.file, err: (err as Error).message },
            `Could not reload key value store ${config.id}; keeping its last good data`,
          );
        }
      }, 50);
      store.timer.unref();
    });
    watcher.on('error', () => undefined);
    watcher.unref();
    return watcher;
  } catch {
    return undefined;
  }
}
