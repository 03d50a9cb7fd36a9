/**
 * `verge alias create|update|get|list|delete`: a function's aliases, with weighted routing to one
 * more version (`--weight 4=0.1`: version 4 gets 10 % of viewers), against the admin API.
 */
import type { Alias } from '../control/control-store.ts';
import { clientOf, commandArgs, intOption, print } from './command-args.ts';
import { CliError } from './control-client.ts';
import { table } from './table.ts';
import { ALIAS_USAGE } from './control-usage.ts';


export async function aliasCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = commandArgs(rest, { version: { type: 'string' }, weight: { type: 'string' }, description: { type: 'string' } });
  if (values.help || sub === undefined) {
    process.stdout.write(`Usage:\n${ALIAS_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const client = clientOf(values);
  const [fn, alias] = positionals;
  if (fn === undefined) throw new CliError(`give the function: verge alias ${sub} FUNCTION${sub === 'list' ? '' : ' ALIAS'}`, 2);
  const base = `/v1/functions/${encodeURIComponent(fn)}/aliases`;
  const needAlias = (): string => {
    if (alias === undefined) throw new CliError(`give the alias: verge alias ${sub} FUNCTION ALIAS`, 2);
    return alias;
  };
  const body = (): Record<string, unknown> => ({
    ...(values.version === undefined ? {} : { functionVersion: intOption(values.version, 'version', 1) }),
    ...(values.weight === undefined ? {} : { additionalVersionWeights: weights(values.weight) }),
    ...(values.description === undefined ? {} : { description: values.description }),
  });
  switch (sub) {
    case 'create': {
      const name = needAlias();
      if (values.version === undefined) throw new CliError('give the version the alias points at: --version N', 2);
      const a = await client.call<Alias>('POST', base, { json: { name, ...body() } });
      print(values.json, a, () => `Created ${a.arn} → ${routing(a)}\n`);
      return 0;
    }
    case 'update': {
      const name = needAlias();
      const patch = body();
      if (Object.keys(patch).length === 0) throw new CliError('give --version, --weight or --description', 2);
      const a = await client.call<Alias>('PATCH', `${base}/${encodeURIComponent(name)}`, { json: patch });
      print(values.json, a, () => `Updated ${a.arn} → ${routing(a)}\n`);
      return 0;
    }
    case 'get': {
      const a = await client.call<Alias>('GET', `${base}/${encodeURIComponent(needAlias())}`);
      print(values.json, a, () => `${a.arn} → ${routing(a)}${a.description ? `  (${a.description})` : ''}\n`);
      return 0;
    }
    case 'list': {
      const { items } = await client.call<{ items: Alias[] }>('GET', base);
      print(values.json, items, () => (items.length === 0 ? 'No aliases.\n' : table(['ALIAS', 'ROUTING', 'UPDATED', 'DESCRIPTION'], items.map((a) => [a.name, routing(a), a.updatedAt, a.description]))));
      return 0;
    }
    case 'delete': {
      const name = needAlias();
      await client.call('DELETE', `${base}/${encodeURIComponent(name)}`);
      print(values.json, { deleted: name }, () => `Deleted the alias ${fn}:${name}\n`);
      return 0;
    }
    default:
      throw new CliError(`unknown subcommand "${sub}"\n\nUsage:\n${ALIAS_USAGE}`, 2);
  }
}

/** `4=0.1` → { "4": 0.1 }; `none` → {} (all viewers on the alias's version). */
function weights(text: string): Record<string, number> {
  if (text === 'none') return {};
  const match = /^([1-9][0-9]{0,9})=(0(\.\d+)?|1(\.0+)?|\.\d+)$/.exec(text);
  if (match === null) throw new CliError(`--weight must be VERSION=WEIGHT with a weight from 0 to 1 (4=0.1), or none; got "${text}"`, 2);
  return { [match[1]!]: Number(match[2]) };
}

/** `version 3 (90 %), version 4 (10 %)` */
function routing(a: Alias): string {
  const [extra] = Object.entries(a.additionalVersionWeights);
  if (extra === undefined || extra[1] === 0) return `version ${a.functionVersion}`;
  const pct = (w: number) => `${Math.round(w * 1000) / 10} %`;
  return `version ${a.functionVersion} (${pct(1 - extra[1])}), version ${extra[0]} (${pct(extra[1])})`;
}
