/**
 * The configuration boundary: reads a YAML or JSON file (or takes an already-parsed value),
 * validates it once, reports every problem by option path in one ConfigError, and returns a deeply
 * frozen VergeConfig that nothing downstream needs to check again (STYLE.md habit 4).
 */
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors/verge-error.ts';
import { compilePathPattern } from './path-pattern.ts';
import { configSchema, crossFieldIssues, type ParsedConfig } from './schema.ts';
import { CFF_RUNTIME, cloudFrontFunctionFileIssues } from './cloudfront-functions-rules.ts';
import type { VergeConfig } from './types.ts';
import { defaultWorkerStallMs, workerStallMsProblem } from './worker-stall.ts';
import { DEFAULT_HANDLER, HANDLER_EXTENSIONS, SINGLE_FILE_EXTENSIONS, handlerProblem, parseHandler } from '../runtime/bundle/handler-name.ts';

export interface RawConfigSource {
  /** Already-parsed config, shaped like the file. */
  readonly raw: unknown;
  /** Directory that relative paths (function `code`) resolve against. */
  readonly baseDir: string;
  /** Names the source in error messages; defaults to 'config'. */
  readonly sourceName?: string;
}

/**
 * Loads, validates and freezes the configuration.
 * @example const config = await loadConfig('./verge.yaml');
 * @throws ConfigError listing every problem, e.g. `behaviors[2].functions.viewer-request.name: …`
 */
export async function loadConfig(source: string | RawConfigSource): Promise<VergeConfig> {
  const { raw, baseDir, sourceName } = typeof source === 'string' ? await readConfigFile(source) : source;
  return parseConfig(raw, baseDir, sourceName);
}

/**
 * Reads and parses a YAML or JSON config file without validating it: a plain value that can cross a
 * process boundary (the supervisor reads the file once and its workers validate the same value).
 * @throws ConfigError when the file is missing, unreadable or not valid YAML/JSON
 */
export async function readConfigFile(source: string): Promise<RawConfigSource> {
  const file = path.resolve(source);
  const format = formatOf(file);
  if (format === undefined) {
    throw new ConfigError([{ path: '', message: `unsupported file extension ${JSON.stringify(path.extname(file))}; use .yaml, .yml or .json` }], source);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${errorText(error)}` }], source);
  }
  const raw = format === 'yaml' ? parseYaml(text, source) : parseJson(text, source);
  return { raw, baseDir: path.dirname(file), sourceName: source };
}

/**
 * Validates an already-parsed config. Synchronous; its only IO is checking that function code
 * files exist, so a typo in a path fails at startup rather than on the first request.
 */
export function parseConfig(raw: unknown, baseDir: string, sourceName = 'config'): VergeConfig {
  const absoluteBaseDir = path.resolve(baseDir);
  const result = configSchema.safeParse(raw, { error: friendlierMessage });
  const issues = inFileOrder([
    ...(result.success ? [] : result.error.issues.flatMap(toConfigIssues)),
    ...crossFieldIssues(raw, absoluteBaseDir),
    ...codeFileIssues(raw, absoluteBaseDir),
    ...cloudFrontFunctionFileIssues(raw, absoluteBaseDir),
    ...(result.success ? workerStallIssues(result.data) : []),
  ]);
  if (!result.success || issues.length > 0) throw new ConfigError(issues, sourceName);
  return deepFreeze(toVergeConfig(result.data, absoluteBaseDir));
}

/** `['behaviors', 2, 'functions', 'viewer-request']` → `behaviors[2].functions.viewer-request` */
export function formatIssuePath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    // Keys that would make the path ambiguous (dots, brackets, spaces) are quoted.
    else if (typeof segment === 'string' && /^[^.[\]\s"]+$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function formatOf(file: string): 'yaml' | 'json' | undefined {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  if (extension === '.json') return 'json';
  return undefined;
}

function parseYaml(text: string, source: string): unknown {
  // prettyErrors: false keeps each message on one line; the LineCounter gives us the position.
  const lineCounter = new YAML.LineCounter();
  const document = YAML.parseDocument(text, { prettyErrors: false, lineCounter });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const at = lineCounter.linePos(error.pos[0]);
        return { path: '', message: `YAML line ${at.line}, column ${at.col}: ${error.message}` };
      }),
      source,
    );
  }
  try {
    return document.toJS();
  } catch (error) {
    // e.g. an alias bomb exceeding maxAliasCount
    throw new ConfigError([{ path: '', message: `YAML: ${errorText(error)}` }], source);
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError([{ path: '', message: `invalid JSON: ${errorText(error)}` }], source);
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** zod says "expected string, received undefined"; users think "I left it out". */
function friendlierMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return `required option is missing (expected ${issue.expected})`;
  // An empty YAML file parses to null.
  if ((issue.path ?? []).length === 0) return `the configuration must be a mapping of options, got ${issue.input === null ? 'nothing' : Array.isArray(issue.input) ? 'a list' : typeof issue.input}`;
  return undefined;
}

const SECTION_ORDER: readonly string[] = Object.keys(configSchema.shape);

/**
 * Schema, cross-field and file checks each find issues in their own order; the user reads them
 * best top to bottom, as the file is written. The sort is stable, so within one element the
 * option-level problem stays before the cross-field one.
 */
function inFileOrder(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue): [number, number] => {
    const match = /^([^.[]*)(?:\[(\d+)\])?/.exec(issue.path);
    const section = SECTION_ORDER.indexOf(match?.[1] ?? '');
    return [section, Number(match?.[2] ?? -1)];
  };
  return issues
    .map((issue) => ({ issue, rank: rank(issue) }))
    .sort((a, b) => a.rank[0] - b.rank[0] || a.rank[1] - b.rank[1])
    .map(({ issue }) => issue);
}

function toConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  // One issue per unknown key, with the key in the path, so each typo points at its own line.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: formatIssuePath([...issue.path, key]), message: issue.message }));
  }
  // A bad record key (header or env name): the inner issue says what is wrong with it.
  if (issue.code === 'invalid_key') {
    return [{ path: formatIssuePath(issue.path), message: `invalid name: ${issue.issues.map((i) => i.message).join('; ')}` }];
  }
  return [{ path: formatIssuePath(issue.path), message: issue.message }];
}

/**
 * Function code must be an existing single file with a JavaScript or TypeScript extension, a .zip, or a
 * directory holding the handler's file; checked on the raw input so it is reported with the rest.
 */
function codeFileIssues(raw: unknown, baseDir: string): ConfigIssue[] {
  const functions = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).functions : undefined;
  if (!Array.isArray(functions)) return [];
  const issues: ConfigIssue[] = [];
  functions.forEach((fn: unknown, index) => {
    const code = typeof fn === 'object' && fn !== null ? (fn as Record<string, unknown>).code : undefined;
    if (typeof code !== 'string' || code === '') return;
    // A CloudFront Function's code has its own, narrower rule (cloudFrontFunctionFileIssues).
    if ((fn as Record<string, unknown>).runtime === CFF_RUNTIME) return;
    const codePath = path.resolve(baseDir, code);
    const stats = statSync(codePath, { throwIfNoEntry: false });
    const at = `functions[${index}].code`;
    if (stats === undefined) issues.push({ path: at, message: `file not found: ${codePath}` });
    else if (stats.isDirectory()) {
      const handler = (fn as Record<string, unknown>).handler ?? DEFAULT_HANDLER;
      if (typeof handler !== 'string' || handlerProblem(handler) !== undefined) return; // reported by the schema
      const { file } = parseHandler(handler);
      if (!HANDLER_EXTENSIONS.some((ext) => existsSync(path.join(codePath, file + ext)))) {
        issues.push({ path: `functions[${index}].handler`, message: `${handler}: no file ${file}{${HANDLER_EXTENSIONS.join(',')}} in ${codePath}` });
      }
    } else if (!stats.isFile()) issues.push({ path: at, message: `not a file or directory: ${codePath}` });
    else {
      const ext = path.extname(codePath).toLowerCase();
      if (ext !== '.zip' && !SINGLE_FILE_EXTENSIONS.includes(ext)) {
        issues.push({ path: at, message: `${codePath}: a function is a ${SINGLE_FILE_EXTENSIONS.join(', ')} file, a directory or a .zip` });
      }
    }
  });
  return issues;
}

function workerStallIssues(data: ParsedConfig): ConfigIssue[] {
  const problem = workerStallMsProblem(data.workerStallMs, data.functions);
  return problem === undefined ? [] : [{ path: 'workerStallMs', message: problem }];
}

function toVergeConfig(data: ParsedConfig, baseDir: string): VergeConfig {
  return {
    listen: data.listen,
    location: data.location,
    distribution: data.distribution,
    origins: data.origins,
    functions: data.functions.map(({ code, keyValueStore, ...fn }) => {
      const store = data.keyValueStores.find((s) => s.id === keyValueStore);
      return {
        ...fn,
        codePath: path.resolve(baseDir, code),
        ...(store === undefined ? {} : { keyValueStore: { id: store.id, file: path.resolve(baseDir, store.file) } }),
      };
    }),
    keyValueStores: data.keyValueStores.map((s) => ({ id: s.id, file: path.resolve(baseDir, s.file) })),
    behaviors: data.behaviors.map((behavior) => ({
      pathPattern: behavior.pathPattern,
      matches: compilePathPattern(behavior.pathPattern),
      originId: behavior.originId,
      functions: behavior.functions,
      cachePolicy: behavior.cachePolicy,
      compress: behavior.compress,
    })),
    errors: data.errors,
    cache: { ...data.cache, dir: data.cache.dir === undefined ? undefined : path.resolve(baseDir, data.cache.dir) },
    runtime: data.runtime,
    workers: data.workers,
    workerStallMs: data.workerStallMs ?? defaultWorkerStallMs(data.functions),
    admin: data.admin === undefined ? undefined : { ...data.admin, token: data.admin.token },
    edge: data.edge === undefined ? undefined : { ...data.edge, token: data.edge.token, stateDir: data.edge.stateDir === undefined ? undefined : path.resolve(baseDir, data.edge.stateDir) },
    baseDir,
  };
}

/** Freezes plain objects and arrays all the way down (the `matches` functions are left alone). */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  for (const child of Object.values(value)) deepFreeze(child);
  return Object.freeze(value);
}
