/**
 * `verge locations [NAME]`: the edge locations that registered with the control plane, what they
 * should serve (desired revision and generation), what they report serving, and when they last
 * sent a heartbeat.
 */
import type { LocationRecord } from '../control/control-store.ts';
import { clientOf, commandArgs, print } from './command-args.ts';
import { fields, table } from './table.ts';
import { LOCATIONS_USAGE } from './control-usage.ts';


export async function locationsCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = commandArgs(args, {});
  if (values.help) {
    process.stdout.write(`Usage:\n${LOCATIONS_USAGE}\n`);
    return 0;
  }
  const client = clientOf(values);
  const name = positionals[0];
  if (name !== undefined) {
    const l = await client.call<LocationRecord>('GET', `/v1/locations/${encodeURIComponent(name)}`);
    print(values.json, l, () =>
      fields([
        ['Location', l.name],
        ['URL', l.url],
        ['Distribution', l.distributionId],
        ['Desired', `revision ${l.desiredRevision}, generation ${l.desiredGeneration}`],
        ['Serving', `revision ${l.servingRevision}, generation ${l.servingGeneration}`],
        ['Registered', l.registeredAt],
        ['Last heartbeat', l.lastHeartbeatAt],
      ]) + (l.health.length === 0 ? '' : `\n${table(['VERSION', 'REQUESTS', 'ERRORS', 'P99 MS', 'AT'], l.health.map((h) => [h.key, h.requests, h.errors, h.p99Ms, h.at]))}`),
    );
    return 0;
  }
  const { items } = await client.call<{ items: LocationRecord[] }>('GET', '/v1/locations');
  print(values.json, items, () =>
    items.length === 0
      ? 'No locations have registered (start an edge node with --control-plane URL --location NAME).\n'
      : table(['LOCATION', 'DISTRIBUTION', 'DESIRED', 'SERVING', 'LAST HEARTBEAT'], items.map((l) => [l.name, l.distributionId, `${l.desiredRevision} (gen ${l.desiredGeneration})`, `${l.servingRevision} (gen ${l.servingGeneration})`, l.lastHeartbeatAt])),
  );
  return 0;
}
