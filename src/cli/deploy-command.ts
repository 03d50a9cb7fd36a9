/**
 * `verge deploy DISTRIBUTION_ID --revision N [--location L]…`: deploys a saved revision, today all
 * at once (every registered location, or the ones named), through `POST /v1/distributions/{id}/deployments`.
 */
import type { Deployment } from '../control/control-store.ts';
import { clientOf, commandArgs, intOption, print } from './command-args.ts';
import { CliError } from './control-client.ts';
import { DEPLOY_USAGE } from './control-usage.ts';


export async function deployCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = commandArgs(args, { revision: { type: 'string' }, location: { type: 'string', multiple: true }, strategy: { type: 'string' }, comment: { type: 'string' } });
  if (values.help) {
    process.stdout.write(`Usage:\n${DEPLOY_USAGE}\n`);
    return 0;
  }
  const id = positionals[0];
  if (id === undefined) throw new CliError('give the distribution: verge deploy DISTRIBUTION_ID --revision N', 2);
  const revision = intOption(values.revision, 'revision', 1);
  if (revision === undefined) throw new CliError('give the revision to deploy: --revision N (verge distributions revisions ID lists them)', 2);
  const client = clientOf(values);
  const d = await client.call<Deployment>('POST', `/v1/distributions/${encodeURIComponent(id)}/deployments`, {
    json: { revision, ...(values.strategy === undefined ? {} : { strategy: values.strategy }), ...(values.location === undefined ? {} : { locations: values.location }), ...(values.comment === undefined ? {} : { comment: values.comment }) },
  });
  const generations = (d.state.generations ?? {}) as Record<string, number>;
  print(values.json, d, () => `Deployment ${d.id} ${d.status}: ${d.distributionId} revision ${d.revision} (was ${d.previousRevision || 'none'}) to ${Object.keys(generations).join(', ')}\n`);
  return d.status === 'Succeeded' || d.status === 'InProgress' ? 0 : 1;
}
