/**
 * Resolves a distribution revision into the document an edge node runs (revision-document.ts):
 * each behavior's associations become concrete versions — a version as named, an alias as its
 * version plus its weighted additional version, `$LATEST` (development mode only) as the draft's
 * current code and settings — and every version used is listed once with its code's sha256.
 * Resolution reads aliases as they are now: the same revision deployed again after an alias moved
 * resolves to the alias's new version, as a Lambda@Edge association would keep the version it was
 * given.
 *
 * It also applies the rules that need the versions: Lambda@Edge's per-event memory, timeout and
 * package limits ("Quotas on Lambda@Edge"), and CloudFront Functions' (viewer events only, no
 * includeBody, never beside a Lambda@Edge function in a behavior's viewer events). Every problem
 * is reported at once, by path: `behaviors[1].functions.viewer-request`.
 */
import { FUNCTION_LIMITS_BY_EVENT } from '../config/lambda-edge-limits.ts';
import type { EventType } from '../config/types.ts';
import { ControlInvalidRevisionError } from '../errors/control-plane-errors.ts';
import type { ConfigIssue } from '../errors/verge-error.ts';
import { EVENT_TYPES } from '../pipeline/hooks.ts';
import type { ControlStore, FunctionSettings } from './control-store.ts';
import { parseQualifiedName, type Qualifier } from './qualified-name.ts';
import { edgeConfigOf, revisionConfigIssues } from './distribution-config.ts';
import { revisionDocumentSchema, type CodeRef, type ResolvedAssociation, type ResolvedFunction, type RevisionDocument } from './revision-document.ts';
import { isNotFound } from './store-errors.ts';

export interface ResolveOptions {
  /** Allows `fn:$LATEST` (the control plane's `developmentMode`). */
  readonly developmentMode: boolean;
}

interface Resolved {
  readonly fn: ResolvedFunction;
}
type Raw = Record<string, unknown>;
const isRaw = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const VIEWER_EVENTS: readonly EventType[] = ['viewer-request', 'viewer-response'];

/**
 * The document for `config` of `distributionId` at `revision`; `generation` is the caller's (the
 * store assigns it per location).
 * @throws ControlInvalidRevisionError listing every problem by path
 */
export async function resolveRevision(store: ControlStore, distributionId: string, revision: number, config: Readonly<Raw>, options: ResolveOptions & { generation?: number; createdAt?: string }): Promise<RevisionDocument> {
  const issues = revisionConfigIssues(distributionId, config);
  const functions = new Map<string, ResolvedFunction>();
  const associations: Record<string, ResolvedAssociation>[] = [];
  const resolveOne = async (qualified: string, at: string): Promise<{ primary: Resolved; additional?: { fn: ResolvedFunction; weight: number } } | undefined> => {
    const parsed = parseQualifiedName(qualified);
    if (typeof parsed === 'string') {
      issues.push({ path: at, message: `${JSON.stringify(qualified)} ${parsed}` });
      return undefined;
    }
    const { functionName, qualifier } = parsed;
    try {
      if (qualifier.kind === 'latest') {
        if (!options.developmentMode) {
          issues.push({ path: at, message: `${qualified}: $LATEST can be associated only when the control plane runs with developmentMode (publish a version: verge functions publish ${functionName})` });
          return undefined;
        }
        const fn = await store.getFunction(functionName);
        return { primary: { fn: resolvedFunction(functionName, '$LATEST', fn.settings, fn.code) } };
      }
      if (qualifier.kind === 'version') {
        const v = await store.getVersion(functionName, qualifier.version);
        return { primary: { fn: resolvedFunction(functionName, v.version, v.settings, v.code) } };
      }
      const alias = await store.getAlias(functionName, qualifier.alias);
      const v = await store.getVersion(functionName, alias.functionVersion);
      const primary = { fn: resolvedFunction(functionName, v.version, v.settings, v.code) };
      const [extra] = Object.entries(alias.additionalVersionWeights);
      if (extra === undefined || extra[1] === 0) return { primary };
      const other = await store.getVersion(functionName, Number(extra[0]));
      return { primary, additional: { fn: resolvedFunction(functionName, other.version, other.settings, other.code), weight: extra[1] } };
    } catch (err) {
      if (!isNotFound(err)) throw err;
      issues.push({ path: at, message: `${qualified}: ${await missingWhat(store, functionName, qualifier)}` });
      return undefined;
    }
  };

  const behaviors = Array.isArray(config.behaviors) ? config.behaviors : [];
  for (const [b, behavior] of behaviors.entries()) {
    const byEvent: Record<string, ResolvedAssociation> = {};
    associations.push(byEvent);
    if (!isRaw(behavior) || !isRaw(behavior.functions)) continue;
    let viewerCff: string | undefined;
    const viewerLambda: string[] = [];
    for (const eventType of EVENT_TYPES) {
      const association = behavior.functions[eventType];
      if (!isRaw(association) || typeof association.name !== 'string') continue;
      const at = `behaviors[${b}].functions.${eventType}`;
      const resolved = await resolveOne(association.name, at);
      if (resolved === undefined) continue;
      const includeBody = association.includeBody === true;
      for (const fn of [resolved.primary.fn, ...(resolved.additional ? [resolved.additional.fn] : [])]) {
        issues.push(...eventIssues(fn, eventType, includeBody, at));
        functions.set(fn.key, fn);
      }
      if (resolved.primary.fn.runtime === 'cloudfront-js-2.0') {
        if (VIEWER_EVENTS.includes(eventType)) viewerCff ??= at;
      } else if (VIEWER_EVENTS.includes(eventType)) viewerLambda.push(at);
      byEvent[eventType] = {
        qualified: association.name,
        primary: resolved.primary.fn.key,
        ...(resolved.additional ? { additional: { key: resolved.additional.fn.key, weight: resolved.additional.weight } } : {}),
        includeBody,
      };
    }
    if (viewerCff !== undefined) {
      for (const at of viewerLambda) issues.push({ path: at, message: `CloudFront does not combine CloudFront Functions and Lambda@Edge in viewer events, and ${viewerCff} is a CloudFront Function` });
    }
  }
  if (issues.length > 0) throw new ControlInvalidRevisionError(issues, `Distribution ${distributionId} revision ${revision} cannot be resolved`);
  return revisionDocumentSchema.parse({
    distributionId,
    revision,
    generation: options.generation ?? 1,
    createdAt: options.createdAt ?? new Date().toISOString(),
    config: edgeConfigOf(distributionId, config),
    functions: [...functions.values()],
    associations,
  });
}

function resolvedFunction(name: string, version: number | '$LATEST', s: FunctionSettings, code: CodeRef): ResolvedFunction {
  return { key: `${name}:${version}`, name, version, runtime: s.runtime, handler: s.handler, memoryMb: s.memoryMb, timeoutMs: s.timeoutMs, environment: { ...s.environment }, code: { ...code } };
}

/** The per-event rules of one version at one association. */
function eventIssues(fn: ResolvedFunction, eventType: EventType, includeBody: boolean, at: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (fn.runtime === 'cloudfront-js-2.0') {
    if (!VIEWER_EVENTS.includes(eventType)) issues.push({ path: at, message: `${fn.key} is a CloudFront Function, which CloudFront runs only at viewer-request and viewer-response` });
    if (includeBody) issues.push({ path: `${at}.includeBody`, message: 'CloudFront Functions cannot read the request body' });
    return issues;
  }
  const limits = FUNCTION_LIMITS_BY_EVENT[eventType];
  if (fn.memoryMb > limits.maxMemoryMb) issues.push({ path: at, message: `${fn.key} has memoryMb ${fn.memoryMb}, over the ${eventType} limit of ${limits.maxMemoryMb} MB` });
  if (fn.timeoutMs > limits.maxTimeoutMs) issues.push({ path: at, message: `${fn.key} has timeoutMs ${fn.timeoutMs}, over the ${eventType} limit of ${limits.maxTimeoutMs} ms` });
  if (fn.code.sizeBytes > limits.maxPackageBytes) issues.push({ path: at, message: `${fn.key}'s package is ${fn.code.sizeBytes} bytes, over the ${eventType} limit of ${limits.maxPackageBytes} bytes` });
  return issues;
}

/** Which part of a qualified name does not exist: the function, the version or the alias. */
async function missingWhat(store: ControlStore, functionName: string, qualifier: Qualifier): Promise<string> {
  try {
    await store.getFunction(functionName);
  } catch (err) {
    if (isNotFound(err)) return `no function is named ${JSON.stringify(functionName)}`;
    throw err;
  }
  if (qualifier.kind === 'version') return `${functionName} has no published version ${qualifier.version}`;
  if (qualifier.kind === 'alias') {
    try {
      await store.getAlias(functionName, qualifier.alias);
    } catch (err) {
      if (isNotFound(err)) return `${functionName} has no alias ${JSON.stringify(qualifier.alias)}`;
      throw err;
    }
    return `the alias ${functionName}:${qualifier.alias} points at a version that no longer exists`;
  }
  return 'not found';
}
