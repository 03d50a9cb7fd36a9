/**
 * A revision document (control/revision-document.ts) as the edge node's configuration: the
 * distribution's config section, plus one function per version key, named for the config (function
 * names allow [A-Za-z0-9_-] only: `resize:3` runs as `resize_3`, `resize:$LATEST` as `resize_LATEST`),
 * whose code is the file named by its sha256 in the node's code directory, plus each behavior's
 * associations from the document's (an alias's weighted second version as `additional`).
 * Validated by the same boundary as a config file (config/load-config.ts), so a document breaks the
 * same rules with the same messages.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseConfig } from '../config/load-config.ts';
import type { ListenConfig, VergeConfig } from '../config/types.ts';
import type { ResolvedAssociation, ResolvedFunction, RevisionDocument } from './revision-document.ts';

/** Options of the config file that belong to the node, not to the distribution: never taken from a document. */
const NODE_OPTIONS = ['listen', 'location', 'workers', 'workerStallMs', 'admin', 'edge', 'controlPlane', 'functions'];

/** Where a version's code lives under the code directory: `<sha256>/<fileName>` (the name keeps its extension). */
export function codeFilePath(codeDir: string, fn: Pick<ResolvedFunction, 'code'>): string {
  return path.join(codeDir, fn.code.sha256, fn.code.fileName);
}

/**
 * The config's function name for a version key: `name_3`, `name_LATEST`. The version is the part after
 * the last `_` and never contains one, so two keys never share a name. A name too long for the config's
 * 64 characters is shortened with a hash of it to keep that true.
 */
export function functionNameFor(key: string): string {
  const colon = key.lastIndexOf(':');
  const name = key.slice(0, colon);
  const version = key.slice(colon + 1) === '$LATEST' ? 'LATEST' : key.slice(colon + 1);
  const plain = `${name}_${version}`;
  if (plain.length <= 64) return plain;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 64 - version.length - 10)}-${digest}_${version}`;
}

export interface RevisionConfig {
  readonly config: VergeConfig;
  /** The config's function name → the document's version key (`resize_3` → `resize:3`), for health reports. */
  readonly keysByName: ReadonlyMap<string, string>;
}

/**
 * The document's configuration for this node.
 * @throws ConfigError naming every problem (the paths are the config's: `functions[1].timeoutMs`, `behaviors[0].functions.viewer-request.name`)
 */
export function revisionConfig(doc: RevisionDocument, node: { readonly codeDir: string; readonly listen: ListenConfig; readonly location: string }): RevisionConfig {
  const raw: Record<string, unknown> = { ...doc.config };
  for (const option of NODE_OPTIONS) delete raw[option];
  const keysByName = new Map<string, string>();
  raw.functions = doc.functions.map((fn) => {
    const name = functionNameFor(fn.key);
    keysByName.set(name, fn.key);
    return {
      name,
      code: codeFilePath(node.codeDir, fn),
      handler: fn.handler,
      runtime: fn.runtime,
      // CloudFront Functions have a fixed memory size; the schema fills it in.
      ...(fn.runtime === 'nodejs-edge' ? { memoryMb: fn.memoryMb } : {}),
      timeoutMs: fn.timeoutMs,
      environment: fn.environment,
    };
  });
  const behaviors = Array.isArray(raw.behaviors) ? raw.behaviors : [];
  raw.behaviors = behaviors.map((behavior: unknown, i: number) => {
    const associations = doc.associations[i] ?? {};
    const functions: Record<string, unknown> = {};
    for (const [eventType, association] of Object.entries(associations) as [string, ResolvedAssociation][]) {
      const isRequest = eventType === 'viewer-request' || eventType === 'origin-request';
      functions[eventType] = {
        name: functionNameFor(association.primary),
        ...(isRequest ? { includeBody: association.includeBody } : {}),
        ...(association.additional === undefined ? {} : { additional: { name: functionNameFor(association.additional.key), weight: association.additional.weight } }),
      };
    }
    return typeof behavior === 'object' && behavior !== null ? { ...behavior, functions } : behavior;
  });
  raw.listen = node.listen;
  raw.location = node.location;
  const parsed = parseConfig(raw, node.codeDir, `revision ${doc.revision} (generation ${doc.generation}) of distribution ${doc.distributionId}`);
  // REPORT lines and context.functionVersion show the published version (`3`), as Lambda's do.
  const functions = parsed.functions.map((fn, i) => Object.freeze({ ...fn, versionLabel: String(doc.functions[i]!.version) }));
  const config: VergeConfig = Object.freeze({ ...parsed, functions: Object.freeze(functions) });
  return { config, keysByName };
}
