/**
 * The `controlPlane` section: what `verge control-plane --config FILE` runs (src/cli/
 * control-plane-command.ts). Where the admin API with the control plane's routes listens, its
 * bearer token (VERGE_ADMIN_TOKEN overrides it, as for `admin`), the store, and development mode
 * (distributions may associate `$LATEST`). The same file may hold an edge node's configuration:
 * `verge serve` ignores this section, `verge control-plane` reads only it.
 */
import { z } from 'zod';
import { ADMIN_DEFAULT_HOST, ADMIN_DEFAULT_PORT, adminTokenSchema } from './admin-config.ts';

const unknownKey = (allowed: string) => ({ error: (iss: { code?: string }) => (iss.code === 'unrecognized_keys' ? `unknown option; allowed here: ${allowed}` : undefined) });

export const controlPlaneSchema = z.strictObject(
  {
    listen: z
      .strictObject(
        {
          host: z.string().min(1).default(ADMIN_DEFAULT_HOST),
          // The admin API's port: the control plane is the admin API with more routes, and `verge
          // functions …` / `verge invalidate` default to it.
          port: z.int().min(0).max(65535).default(ADMIN_DEFAULT_PORT),
        },
        unknownKey('host, port'),
      )
      .prefault({}),
    token: adminTokenSchema.optional(),
    store: z.discriminatedUnion(
      'kind',
      [z.strictObject({ kind: z.literal('sqlite'), file: z.string().min(1) }, unknownKey('kind, file'))],
      { error: 'must be { kind: sqlite, file: PATH } (the only store today)' },
    ),
    developmentMode: z.boolean().default(false),
  },
  unknownKey('listen, token, store, developmentMode'),
);
