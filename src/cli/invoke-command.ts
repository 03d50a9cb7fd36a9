/**
 * `verge invoke NAME --config FILE --event FILE [--json]`: runs one function of a config file on a
 * test event (the Lambda console's Test button) and prints its result and REPORT line. Exit status:
 * 0 when the function succeeded, 1 when it failed (the error is printed), 2 for a usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { ConfigError, VergeError } from '../errors/verge-error.ts';

export const INVOKE_USAGE = `verge invoke NAME --config FILE --event FILE [--json]
                                                    run function NAME of the config on a test event
                                                    (Lambda@Edge shape, Records[0].cf) and print its
                                                    result and REPORT line`;

export async function invokeCommand(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { config: { type: 'string' }, event: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`verge invoke: ${(err as Error).message}\n\nUsage: ${INVOKE_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || values.config === undefined || values.event === undefined) {
    process.stderr.write(`verge invoke: give one function NAME, --config FILE and --event FILE\n\nUsage: ${INVOKE_USAGE}\n`);
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
  try {
    const config = await loadConfig(values.config);
    const fn = config.functions.find((f) => f.name === name);
    if (fn === undefined) {
      process.stderr.write(`verge invoke: the config has no function "${name}" (it has: ${config.functions.map((f) => f.name).join(', ') || 'none'})\n`);
      return 2;
    }
    // Loaded here, not at the top: the runtime (isolated-vm, esbuild) is only needed to invoke.
    const { invokeWithTestEvent } = await import('../control/test-invoke.ts');
    const outcome = await invokeWithTestEvent(fn, event);
    if (values.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    else {
      process.stdout.write(outcome.ok ? `Result:\n${JSON.stringify(outcome.result, null, 2)}\n` : `Failed: ${outcome.error!.code}: ${outcome.error!.message}\n`);
      const consoleLines = outcome.logs.filter((l) => !l.startsWith('REPORT ') && !l.startsWith('START ') && !l.startsWith('END '));
      if (consoleLines.length > 0) process.stdout.write(`\nLog output:\n${consoleLines.join('\n')}\n`);
      if (outcome.report !== undefined) process.stdout.write(`\n${outcome.report}\n`);
    }
    return outcome.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof VergeError) {
      process.stderr.write(`verge invoke: ${err.message}\n`);
      return err instanceof ConfigError || err.fault === 'user' ? 2 : 1;
    }
    throw err;
  }
}
