/**
 * `verge rollout start|status|promote|abort`: staged rollouts of a distribution revision (issue 5
 * §2) through the control plane's `POST /v1/distributions/{id}/rollouts` and `/v1/deployments/{id}`.
 */
import type { Deployment } from '../control/control-store.ts';
import { clientOf, commandArgs, intOption, print } from './command-args.ts';
import { CliError } from './control-client.ts';
import { ROLLOUT_USAGE } from './control-usage.ts';
import { fields } from './table.ts';

function describe(d: Deployment): string {
  const plan = d.plan as { waves?: string[][] };
  const state = d.state as { machine?: { waveIndex?: number; percent?: number } };
  const history = d.events.map((e) => `  ${e.at}  ${e.type.padEnd(16)} ${e.by}: ${e.message}`).join('\n');
  return (
    fields([
      ['deployment', d.id],
      ['status', d.status],
      ['distribution', d.distributionId],
      ['revision', `${d.revision} (was ${d.previousRevision || 'none'})`],
      ['waves', plan.waves?.map((w) => w.join(', ')).join(' → ')],
      ['wave now', d.status === 'InProgress' && state.machine !== undefined ? `${(state.machine.waveIndex ?? 0) + 1} at ${state.machine.percent ?? 0} %` : undefined],
      ['started by', d.createdBy],
    ]) + `history:\n${history}\n`
  );
}

export async function rolloutCommand(args: readonly string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = commandArgs(rest, {
    revision: { type: 'string' },
    traffic: { type: 'string' },
    'bake-ms': { type: 'string' },
    'wave-percent': { type: 'string', multiple: true },
    wave: { type: 'string', multiple: true },
    'canary-locations': { type: 'string' },
    comment: { type: 'string' },
  });
  if (values.help || action === undefined) {
    process.stdout.write(`Usage:\n${ROLLOUT_USAGE}\n`);
    return action === undefined ? 2 : 0;
  }
  const client = clientOf(values);
  const target = positionals[0];
  if (target === undefined) throw new CliError(`verge rollout ${action}: give the ${action === 'start' ? 'distribution id' : 'deployment id'}`, 2);
  let d: Deployment;
  switch (action) {
    case 'start': {
      const revision = intOption(values.revision, 'revision', 1);
      if (revision === undefined) throw new CliError('verge rollout start: give the revision: --revision N', 2);
      if (values.wave !== undefined && values['wave-percent'] !== undefined) throw new CliError('verge rollout start: give --wave or --wave-percent, not both', 2);
      const waves =
        values.wave?.map((w) => ({ locations: w.split(',').map((l) => l.trim()).filter((l) => l !== '') })) ??
        values['wave-percent']?.map((p) => ({ percent: Number(p) }));
      const bakeMs = intOption(values['bake-ms'], 'bake-ms');
      const canaryLocations = intOption(values['canary-locations'], 'canary-locations');
      d = await client.call<Deployment>('POST', `/v1/distributions/${encodeURIComponent(target)}/rollouts`, {
        json: {
          revision,
          ...(waves === undefined ? {} : { waves }),
          ...(values.traffic === undefined ? {} : { traffic: values.traffic }),
          ...(bakeMs === undefined ? {} : { bakeMs }),
          ...(canaryLocations === undefined ? {} : { canaryLocations }),
          ...(values.comment === undefined ? {} : { comment: values.comment }),
        },
      });
      break;
    }
    case 'status':
      d = await client.call<Deployment>('GET', `/v1/deployments/${encodeURIComponent(target)}`);
      break;
    case 'promote':
    case 'abort':
      d = await client.call<Deployment>('POST', `/v1/deployments/${encodeURIComponent(target)}/${action}`);
      break;
    default:
      throw new CliError(`verge rollout: unknown action "${action}" (start, status, promote, abort)`, 2);
  }
  print(values.json, d, () => describe(d));
  return d.status === 'Failed' || d.status === 'RolledBack' ? 1 : 0;
}
