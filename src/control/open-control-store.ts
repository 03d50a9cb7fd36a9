import type { ControlStore } from './control-store.ts';
import { SqliteControlStore } from './sqlite-control-store.ts';

/** Which store the control plane keeps its state in; a `postgres` kind is a later step (issue 5 §3). */
export type ControlStoreOptions = { readonly kind: 'sqlite'; /** A file path, or ':memory:' for tests. */ readonly file: string };

/** Opens the configured store; rejects with ControlStoreError (VERGE_ERR_CONTROL_STORE) when it cannot be used. */
export async function openControlStore(options: ControlStoreOptions): Promise<ControlStore> {
  switch (options.kind) {
    case 'sqlite':
      return new SqliteControlStore(options.file);
  }
}
