/**
 * A location part-way through a rollout: the new revision's configuration, with `percent` of its
 * viewers on the new function versions and the rest still on the old ones (CodeDeploy's canary and
 * linear shifts, carried out by the edge's weighted association, sticky per viewer).
 */
import type { ResolvedAssociation, ResolvedFunction, RevisionDocument } from './revision-document.ts';

/**
 * The document to serve at `percent` (0..100) of the way from `previous` to `next`. At 100, or
 * without a previous revision, it is `next` itself. An association whose version changed keeps the
 * old version as primary and gets the new one as its weighted additional version; an association
 * that is new, or a behavior list that changed shape, takes the new revision at once (there is no
 * old version to keep). The generation is left to the store.
 */
export function splitTraffic(previous: RevisionDocument | undefined, next: RevisionDocument, percent: number): RevisionDocument {
  if (previous === undefined || percent >= 100) return next;
  const weight = Math.max(0, percent) / 100;
  const sameShape = previous.associations.length === next.associations.length;
  const keys = new Set<string>();
  const associations = next.associations.map((events, i) => {
    const out: Record<string, ResolvedAssociation> = {};
    for (const [event, assoc] of Object.entries(events) as [keyof typeof events, ResolvedAssociation][]) {
      const old = sameShape ? previous.associations[i]?.[event] : undefined;
      const mixed: ResolvedAssociation =
        old === undefined || old.primary === assoc.primary
          ? assoc
          : { qualified: assoc.qualified, primary: old.primary, additional: { key: assoc.primary, weight }, includeBody: assoc.includeBody };
      out[event] = mixed;
      keys.add(mixed.primary);
      if (mixed.additional !== undefined) keys.add(mixed.additional.key);
    }
    return out;
  });
  const byKey = new Map<string, ResolvedFunction>();
  for (const fn of [...previous.functions, ...next.functions]) byKey.set(fn.key, fn);
  return { ...next, associations, functions: [...keys].sort().map((k) => byKey.get(k)!).filter((f) => f !== undefined) };
}
