/**
 * The embedded default (`npm start`, issue 5 §3): the demo's control plane seeded from the demo
 * config, so the one edge location in the same process follows it like any other. Every start makes
 * sure that each function of the file exists with its current code as a published version, that the
 * distribution's latest revision is the file's (the demo site's address changes between starts), and
 * that the location is deployed that revision. Idempotent: an unchanged start changes nothing.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { VergeConfig } from '../config/types.ts';
import { ControlNotFoundError } from '../errors/control-errors.ts';
import type { ControlPlane } from './control-plane.ts';

const SEEDER = 'npm start (demo seed)';

export interface DemoSeedResult {
  readonly distributionId: string;
  readonly revision: number;
  /** Function name → the published version the revision associates. */
  readonly versions: Readonly<Record<string, number>>;
  readonly deployed: boolean;
}

export async function seedDemoControlPlane(cp: ControlPlane, config: VergeConfig, raw: Record<string, unknown>): Promise<DemoSeedResult> {
  const versions: Record<string, number> = {};
  for (const fn of config.functions) {
    const upload = { bytes: await readFile(fn.codePath), fileName: basename(fn.codePath) };
    const settings = { runtime: fn.runtime, handler: fn.handler, memoryMb: fn.memoryMb, timeoutMs: fn.timeoutMs, environment: fn.environment, description: `from ${basename(fn.codePath)}` };
    const existing = await cp.functions.get(fn.name).catch((err: unknown) => {
      if (err instanceof ControlNotFoundError) return undefined;
      throw err;
    });
    if (existing === undefined) await cp.functions.create(fn.name, settings, upload);
    else await cp.functions.updateCode(fn.name, upload);
    // Publishing an unchanged $LATEST returns the newest version rather than a new one.
    versions[fn.name] = (await cp.functions.publish(fn.name, '')).version;
  }

  const distributionId = config.distribution.id;
  const behaviors = (raw.behaviors as Record<string, unknown>[]).map((b) => {
    const functions = (b.functions ?? {}) as Record<string, { name: string; includeBody?: boolean }>;
    const qualified = Object.fromEntries(Object.entries(functions).map(([event, a]) => [event, { ...a, name: `${a.name}:${versions[a.name]}` }]));
    return { ...b, functions: qualified };
  });
  const revisionConfig = { distribution: raw.distribution ?? { id: distributionId }, origins: raw.origins, behaviors };
  const revisions = await cp.store.listRevisions(distributionId).catch(() => []);
  const latest = revisions.at(-1);
  const revision =
    latest !== undefined && JSON.stringify(latest.config) === JSON.stringify(revisionConfig)
      ? latest.revision
      : (await cp.distributions.save(distributionId, revisionConfig, { createdBy: SEEDER, comment: 'the demo config' })).revision;

  await cp.store.registerLocation(config.location, undefined);
  const location = await cp.store.getLocation(config.location);
  if (location.desiredRevision === revision) return { distributionId, revision, versions, deployed: false };
  await cp.deployments.deploy(distributionId, { revision, strategy: 'AllAtOnce', locations: [config.location], createdBy: SEEDER, comment: 'the demo config' });
  return { distributionId, revision, versions, deployed: true };
}
