/**
 * `verge distributions save|list|revisions`: distribution revisions from a config-file-shaped YAML
 * or JSON file (origins, behaviors with associations naming `fn:3` / `fn:alias`, cache, …).
 */
import { readConfigFile } from '../config/load-config.ts';
import type { DistributionRevision } from '../control/control-store.ts';
import { ConfigError } from '../errors/verge-error.ts';
import { clientOf, commandArgs, print } from './command-args.ts';
import { CliError } from './control-client.ts';
import { table } from './table.ts';
import { DISTRIBUTIONS_USAGE } from './control-usage.ts';


export async function distributionsCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = commandArgs(rest, { file: { type: 'string' }, comment: { type: 'string' } });
  if (values.help || sub === undefined) {
    process.stdout.write(`Usage:\n${DISTRIBUTIONS_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const client = clientOf(values);
  switch (sub) {
    case 'save': {
      if (values.file === undefined) throw new CliError('give the distribution file: --file FILE', 2);
      let raw: unknown;
      try {
        ({ raw } = await readConfigFile(values.file));
      } catch (err) {
        if (err instanceof ConfigError) throw new CliError(err.message, 2);
        throw err;
      }
      const config = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
      const fromFile = (config.distribution as { id?: unknown } | undefined)?.id;
      const id = positionals[0] ?? (typeof fromFile === 'string' ? fromFile : undefined);
      if (id === undefined) throw new CliError('give the distribution id: verge distributions save DISTRIBUTION_ID --file FILE (or distribution.id in the file)', 2);
      const r = await client.call<DistributionRevision>('POST', `/v1/distributions/${encodeURIComponent(id)}/revisions`, { json: { config, ...(values.comment === undefined ? {} : { comment: values.comment }) } });
      print(values.json, r, () => `Saved ${r.distributionId} revision ${r.revision}; deploy it with: verge deploy ${r.distributionId} --revision ${r.revision}\n`);
      return 0;
    }
    case 'list': {
      const { items } = await client.call<{ items: { distributionId: string; latestRevision: number }[] }>('GET', '/v1/distributions');
      print(values.json, items, () => (items.length === 0 ? 'No distributions.\n' : table(['DISTRIBUTION', 'LATEST REVISION'], items.map((d) => [d.distributionId, d.latestRevision]))));
      return 0;
    }
    case 'revisions': {
      const id = positionals[0];
      if (id === undefined) throw new CliError('give the distribution id: verge distributions revisions DISTRIBUTION_ID', 2);
      const { items } = await client.call<{ items: DistributionRevision[] }>('GET', `/v1/distributions/${encodeURIComponent(id)}/revisions`);
      print(values.json, items, () => table(['REVISION', 'CREATED', 'BY', 'COMMENT'], items.map((r) => [r.revision, r.createdAt, r.createdBy, r.comment])));
      return 0;
    }
    default:
      throw new CliError(`unknown subcommand "${sub}"\n\nUsage:\n${DISTRIBUTIONS_USAGE}`, 2);
  }
}
