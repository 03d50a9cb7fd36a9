/**
 * `verge invoke NAME --config FILE --event FILE [--json]`: runs one function of a config file on a
 * test event (the Lambda console's Test button) and prints its result and REPORT line. Exit status:
 * 0 when the function succeeded, 1 when it failed (the error is printed), 2 for a usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';
import type { TestInvocation } from '../control/test-invoke.ts';
import { CLIENT_OPTIONS, CliError, ControlClient } from './control-client.ts';

export const INVOKE_USAGE = `verge invoke NAME --config FILE --event FILE [--json]
                                                    run function NAME of the config on a test event
                                                    (Lambda@Edge shape, Records[0].cf) and print its
                                                    result and REPORT line
  verge invoke NAME[:QUALIFIER] --event FILE [--admin-url URL] [--token T] [--json]
                                                    the same for a version (3), an alias or $LATEST
                                                    of the control plane (POST /v1/functions/NAME/invocations)`;

export async function invokeCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...CLIENT_OPTIONS, config: { type: 'string' }, event: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`verge invoke: ${(err as Error).message}\n\nUsage: ${INVOKE_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || values.event === undefined) {
    process.stderr.write(`verge invoke: give one function NAME and --event FILE (and --config FILE, or a control plane)\n\nUsage: ${INVOKE_USAGE}\n`);
    return 2;
  }
  const name = positionals[0]!;
  let event: unknown;
  try {
    event = JSON.parse(await readFile(values.event, 'utf8'));
  } catch (err) {
    process.stderr.write(`verge invoke: cannot read the event ${values.event}: ${(err as Error).message}\n`);
    return 2;
  }
  if (values.config === undefined) return invokeRemote(positionals[0]!, event, values);
  try {
    const config = await loadConfig(values.config);
    const fn = config.functions.find((f) => f.name === name);
    if (fn === undefined) {
      process.stderr.write(`verge invoke: the config has no function "${name}" (it has: ${config.functions.map((f) => f.name).join(', ') || 'none'})\n`);
      return 2;
    }
    // Loaded here, not at the top: the runtime (isolated-vm, esbuild) is only needed to invoke.
    const { invokeWithTestEvent } = await import('../control/test-invoke.ts');
    return printOutcome(await invokeWithTestEvent(fn, event), values.json);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof VergeError) {
      process.stderr.write(`verge invoke: ${err.message}\n`);
      return err instanceof ConfigError || err.fault === 'user' ? 2 : 1;
    }
    throw err;
  }
}

function printOutcome(outcome: TestInvocation & { version?: number | '$LATEST' }, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else {
    if (outcome.version !== undefined) process.stdout.write(`Version: ${outcome.version}\n`);
    process.stdout.write(outcome.ok ? `Result:\n${JSON.stringify(outcome.result, null, 2)}\n` : `Failed: ${outcome.error!.code}: ${outcome.error!.message}\n`);
    const consoleLines = outcome.logs.filter((l) => !l.startsWith('REPORT ') && !l.startsWith('START ') && !l.startsWith('END '));
    if (consoleLines.length > 0) process.stdout.write(`\nLog output:\n${consoleLines.join('\n')}\n`);
    if (outcome.report !== undefined) process.stdout.write(`\n${outcome.report}\n`);
  }
  return outcome.ok ? 0 : 1;
}

/** NAME[:QUALIFIER] run by the control plane. */
async function invokeRemote(qualified: string, event: unknown, values: { 'admin-url'?: string | undefined; token?: string | undefined; json?: boolean | undefined }): Promise<number> {
  const colon = qualified.indexOf(':');
  const name = colon === -1 ? qualified : qualified.slice(0, colon);
  const qualifier = colon === -1 ? '$LATEST' : qualified.slice(colon + 1);
  try {
    const client = new ControlClient({ adminUrl: values['admin-url'], token: values.token });
    const outcome = await client.call<TestInvocation & { version: number | '$LATEST' }>('POST', `/v1/functions/${encodeURIComponent(name)}/invocations?qualifier=${encodeURIComponent(qualifier)}`, { json: event });
    return printOutcome(outcome, values.json ?? false);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`verge invoke: ${err.message}\n`);
    return err.exitCode;
  }
}
