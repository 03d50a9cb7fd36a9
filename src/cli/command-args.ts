import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CLIENT_OPTIONS, CliError, ControlClient } from './control-client.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with the client options (--admin-url, --token, --json, --help); a usage error is a CliError with exit code 2. */
export function commandArgs<O extends Options>(args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options: { ...CLIENT_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
}

/** The client for parsed values. */
export function clientOf(values: { 'admin-url'?: string | undefined; token?: string | undefined }): ControlClient {
  return new ControlClient({ adminUrl: values['admin-url'], token: values.token });
}

/** A whole number option, or a usage error naming it. */
export function intOption(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) < min) throw new CliError(`--${name} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, got "${value}"`, 2);
  return Number(value);
}

/** Prints `value` as JSON (--json) or with `human`. */
export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : human());
}
