/**
 * `verge functions create|update-code|update-config|publish|list|get|versions|delete`: Lambda's
 * function commands against the control plane's admin API (src/admin/function-routes.ts).
 */
import type { FunctionRecord, FunctionVersion } from '../control/control-store.ts';
import { readCodeFile } from './code-file.ts';
import { clientOf, commandArgs, intOption, print } from './command-args.ts';
import { CliError } from './control-client.ts';
import { fields, table } from './table.ts';
import { FUNCTIONS_USAGE } from './control-usage.ts';


const SETTINGS = {
  code: { type: 'string' },
  runtime: { type: 'string' },
  handler: { type: 'string' },
  'memory-mb': { type: 'string' },
  'timeout-ms': { type: 'string' },
  env: { type: 'string', multiple: true },
  description: { type: 'string' },
} as const;

export async function functionsCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = commandArgs(rest, SETTINGS);
  if (values.help || sub === undefined) {
    process.stdout.write(`Usage:\n${FUNCTIONS_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const client = clientOf(values);
  const name = positionals[0];
  const needName = (): string => {
    if (name === undefined) throw new CliError(`give the function's name: verge functions ${sub} NAME`, 2);
    return encodeURIComponent(name);
  };
  const settings = (): Record<string, unknown> => {
    const env = values.env === undefined ? undefined : Object.fromEntries(values.env.map((kv) => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new CliError(`--env must be KEY=VALUE, got "${kv}"`, 2);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    }));
    const s = { runtime: values.runtime, handler: values.handler, memoryMb: intOption(values['memory-mb'], 'memory-mb'), timeoutMs: intOption(values['timeout-ms'], 'timeout-ms'), environment: env, description: values.description };
    return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
  };
  const needCode = async () => {
    if (values.code === undefined) throw new CliError(`give the code: verge functions ${sub} NAME --code PATH (a file, .zip, .tar.gz or directory)`, 2);
    return readCodeFile(values.code);
  };
  switch (sub) {
    case 'create': {
      const n = needName();
      const code = await needCode();
      const fn = await client.call<FunctionRecord>('POST', '/v1/functions', { json: { name: decodeURIComponent(n), ...settings(), code: { fileName: code.fileName, base64: Buffer.from(code.bytes).toString('base64') } } });
      print(values.json, fn, () => `Created ${fn.arn}\n${describe(fn)}`);
      return 0;
    }
    case 'update-code': {
      const n = needName();
      const code = await needCode();
      const fn = await client.call<FunctionRecord>('PUT', `/v1/functions/${n}/code?fileName=${encodeURIComponent(code.fileName)}`, { bytes: code.bytes, contentType: code.contentType });
      print(values.json, fn, () => `Updated the code of ${fn.arn}:$LATEST (sha256 ${fn.code.sha256.slice(0, 12)}…, ${fn.code.sizeBytes} bytes)\n`);
      return 0;
    }
    case 'update-config': {
      const n = needName();
      const patch = settings();
      if (Object.keys(patch).length === 0) throw new CliError('give at least one setting to change (--memory-mb, --timeout-ms, --handler, --runtime, --env, --description)', 2);
      const fn = await client.call<FunctionRecord>('PATCH', `/v1/functions/${n}`, { json: patch });
      print(values.json, fn, () => `Updated ${fn.arn}:$LATEST\n${describe(fn)}`);
      return 0;
    }
    case 'publish': {
      const n = needName();
      const v = await client.call<FunctionVersion>('POST', `/v1/functions/${n}/versions`, { json: { description: values.description ?? '' } });
      print(values.json, v, () => `Published ${v.arn} (version ${v.version})\n`);
      return 0;
    }
    case 'list': {
      const { items } = await client.call<{ items: FunctionRecord[] }>('GET', '/v1/functions');
      print(values.json, items, () => (items.length === 0 ? 'No functions.\n' : table(['NAME', 'RUNTIME', 'MEMORY MB', 'TIMEOUT MS', 'CODE', 'UPDATED'], items.map((f) => [f.name, f.settings.runtime, f.settings.memoryMb, f.settings.timeoutMs, `${f.code.fileName} ${f.code.sha256.slice(0, 12)}`, f.updatedAt]))));
      return 0;
    }
    case 'get': {
      const fn = await client.call<FunctionRecord>('GET', `/v1/functions/${needName()}`);
      print(values.json, fn, () => describe(fn));
      return 0;
    }
    case 'versions': {
      const { items } = await client.call<{ items: FunctionVersion[] }>('GET', `/v1/functions/${needName()}/versions`);
      print(values.json, items, () => (items.length === 0 ? 'No published versions.\n' : table(['VERSION', 'CODE SHA256', 'MEMORY MB', 'TIMEOUT MS', 'CREATED', 'DESCRIPTION'], items.map((v) => [v.version, v.code.sha256.slice(0, 12), v.settings.memoryMb, v.settings.timeoutMs, v.createdAt, v.description]))));
      return 0;
    }
    case 'delete': {
      await client.call('DELETE', `/v1/functions/${needName()}`);
      print(values.json, { deleted: name }, () => `Deleted ${name} with its versions and aliases\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown subcommand "${sub}"\n\nUsage:\n${FUNCTIONS_USAGE}`, 2);
  }
}

function describe(fn: FunctionRecord): string {
  const env = Object.keys(fn.settings.environment);
  return fields([
    ['Name', fn.name],
    ['ARN', fn.arn],
    ['Runtime', fn.settings.runtime],
    ['Handler', fn.settings.handler],
    ['Memory MB', fn.settings.memoryMb],
    ['Timeout ms', fn.settings.timeoutMs],
    ['Environment', env.length === 0 ? undefined : env.join(', ')],
    ['Description', fn.settings.description || undefined],
    ['Code', `${fn.code.fileName} (${fn.code.format}, ${fn.code.sizeBytes} bytes, sha256 ${fn.code.sha256})`],
    ['Revision id', fn.revisionId],
    ['Updated', fn.updatedAt],
  ]);
}
