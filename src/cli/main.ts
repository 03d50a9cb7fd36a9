import { parseArgs } from 'node:util';
import { ADMIN_TOKEN_ENV } from '../config/admin-config.ts';
import { ADMIN_URL_ENV, DEFAULT_ADMIN_URL, invalidateCommand } from './invalidate-command.ts';
import { CliError } from './control-client.ts';
import { ALIAS_USAGE, DEPLOY_USAGE, DISTRIBUTIONS_USAGE, FUNCTIONS_USAGE, LOCATIONS_USAGE, ROLLOUT_USAGE } from './control-usage.ts';

const HELP = `verge: a self-hostable edge-function runtime and CDN reverse proxy

Usage:
  verge serve --config FILE [--port N] [--workers N|auto] [--watch]
                                                    run an edge node from a config file (YAML or JSON)
  verge serve --demo [--port N] [--workers N|auto]  run the demo: an edge node in front of examples/site
  verge serve --control-plane URL --location NAME [--state-dir DIR] [--config FILE] [--port N]
                                                    run an edge node that serves what its control plane
                                                    deploys to location NAME (docs/control-plane.md)
  verge invalidate [PATH…] [--tag TAG]… [--admin-url URL] [--token T] [--json]
                                                    purge paths (/index.html, /images/*) and tags from
                                                    every worker's cache, through the admin API
  verge invoke NAME --config FILE --event FILE [--json]
                                                    run a function of the config on a test event
                                                    (Lambda@Edge shape) and print its result and REPORT line
  verge invoke NAME[:QUALIFIER] --event FILE [--admin-url URL] [--token T] [--json]
                                                    the same for a control plane's version, alias or $LATEST
  verge --help                                      show this help

Control plane (docs/control-plane.md):
  verge control-plane --config FILE [--port N]      run the control plane (the controlPlane section):
                                                    functions, versions, aliases, distributions,
                                                    deployments and the edge API
Its commands (--admin-url URL, --token T, --json as for invalidate):
${FUNCTIONS_USAGE}
${ALIAS_USAGE}
${DISTRIBUTIONS_USAGE}
${DEPLOY_USAGE}
${ROLLOUT_USAGE}
${LOCATIONS_USAGE}

Options:
  --config FILE   the edge node configuration (docs/config.md)
  --port N        listen on port N instead of listen.port (0 picks a free port)
  --workers N     worker processes (1-256) or auto (one per core); overrides the config's workers
  --watch         reload function code files when they change (development)
  --demo          the embedded default used by \`npm start\`; ORIGIN_URL=https://… fronts that site instead
  --admin-port N  serve: the admin API's port instead of admin.listen.port (0 picks a free port)
  --control-plane URL  follow this control plane (overrides edge.controlPlaneUrl)
  --location NAME the location this node serves (overrides location)
  --state-dir DIR where the last applied revision is kept, served at the next start when the
                  control plane is unreachable (overrides edge.stateDir; default: a temporary directory)

Options of invalidate (quote wildcards, or the shell expands them: '/images/*'):
  --tag TAG       purge the responses tagged TAG (Cache-Tag / Surrogate-Key); repeatable
  --admin-url URL the node's admin API (default ${DEFAULT_ADMIN_URL}, or ${ADMIN_URL_ENV})
  --token T       its bearer token (default ${ADMIN_TOKEN_ENV})
  --json          print the admin API's JSON answer instead of a summary

Environment:
  ORIGIN_URL        with --demo: the origin to front instead of the demo site
  ${ADMIN_TOKEN_ENV} the admin API's token (serve: overrides admin.token; invalidate: sends it)
  ${ADMIN_URL_ENV}   invalidate: the admin API's address
  VERGE_EDGE_TOKEN  serve: the control plane's edge API token (overrides edge.token)
  VERGE_LOG_LEVEL   pino level for the JSON log lines (default info)
`;

/** Entry point of the `verge` command; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === 'serve') {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...rest],
        options: {
          config: { type: 'string' },
          port: { type: 'string' },
          workers: { type: 'string' },
          watch: { type: 'boolean', default: false },
          demo: { type: 'boolean', default: false },
          'admin-port': { type: 'string' },
          'control-plane': { type: 'string' },
          location: { type: 'string' },
          'state-dir': { type: 'string' },
          help: { type: 'boolean', short: 'h', default: false },
        },
        strict: true,
      }));
    } catch (err) {
      process.stderr.write(`verge serve: ${(err as Error).message}\n\n${HELP}`);
      return 2;
    }
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        process.stderr.write(`verge serve: --port must be a whole number from 0 to 65535, got "${values.port}"\n`);
        return 2;
      }
    }
    let workers: number | 'auto' | undefined;
    if (values.workers !== undefined) {
      workers = values.workers === 'auto' ? 'auto' : Number(values.workers);
      if (workers !== 'auto' && (!/^\d+$/.test(values.workers) || workers < 1 || workers > 256)) {
        process.stderr.write(`verge serve: --workers must be auto or a whole number from 1 to 256, got "${values.workers}"\n`);
        return 2;
      }
    }
    let adminPort: number | undefined;
    if (values['admin-port'] !== undefined) {
      adminPort = Number(values['admin-port']);
      if (!/^\d+$/.test(values['admin-port']) || adminPort > 65535) {
        process.stderr.write(`verge serve: --admin-port must be a whole number from 0 to 65535, got "${values['admin-port']}"\n`);
        return 2;
      }
    }
    const controlPlaneUrl = values['control-plane'];
    if (!values.demo && values.config === undefined && controlPlaneUrl === undefined) {
      process.stderr.write('verge serve: give --config FILE, --control-plane URL --location NAME, or --demo\n');
      return 2;
    }
    if (values.demo && controlPlaneUrl !== undefined) {
      process.stderr.write('verge serve: --demo serves the demo site; it does not follow a control plane\n');
      return 2;
    }
    const edge = {
      ...(controlPlaneUrl === undefined ? {} : { controlPlaneUrl }),
      ...(values.location === undefined ? {} : { location: values.location }),
      ...(values['state-dir'] === undefined ? {} : { stateDir: values['state-dir'] }),
    };
    // Loaded only when serving: `verge invalidate` need not load the runtime (isolated-vm, esbuild).
    const { serveCommand } = await import('./serve-command.ts');
    return serveCommand({ configPath: values.config, demo: values.demo, port, watch: values.watch, workers, edge, ...(adminPort === undefined ? {} : { adminPort }) });
  }
  if (command === 'control-plane') return controlPlane(rest);
  const control = CONTROL_COMMANDS[command];
  if (control !== undefined) {
    try {
      return await (await control())(rest);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      process.stderr.write(`verge ${command}: ${err.message}\n`);
      return err.exitCode;
    }
  }
  if (command === 'invalidate') return invalidate(rest);
  if (command === 'invoke') return (await import('./invoke-command.ts')).invokeCommand(rest);
  process.stderr.write(`verge: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

async function invalidate(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        tag: { type: 'string', multiple: true },
        'admin-url': { type: 'string' },
        token: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`verge invalidate: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tags = values.tag ?? [];
  if (positionals.length === 0 && tags.length === 0) {
    process.stderr.write(`verge invalidate: give at least one path (/index.html, '/images/*') or --tag TAG\n`);
    return 2;
  }
  const adminUrl = (values['admin-url'] ?? process.env[ADMIN_URL_ENV] ?? DEFAULT_ADMIN_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//i.test(adminUrl) || !URL.canParse(adminUrl)) {
    process.stderr.write(`verge invalidate: --admin-url must be an http:// or https:// URL, got "${adminUrl}"\n`);
    return 2;
  }
  const token = values.token ?? (process.env[ADMIN_TOKEN_ENV] || undefined);
  return invalidateCommand({ paths: positionals, tags, adminUrl, token, json: values.json });
}

/** The control plane's client commands, loaded on use. */
const CONTROL_COMMANDS: Readonly<Record<string, () => Promise<(args: readonly string[]) => Promise<number>>>> = {
  functions: async () => (await import('./functions-command.ts')).functionsCommand,
  alias: async () => (await import('./alias-command.ts')).aliasCommand,
  distributions: async () => (await import('./distributions-command.ts')).distributionsCommand,
  deploy: async () => (await import('./deploy-command.ts')).deployCommand,
  rollout: async () => (await import('./rollout-command.ts')).rolloutCommand,
  locations: async () => (await import('./locations-command.ts')).locationsCommand,
};

async function controlPlane(args: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...args], options: { config: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } }, strict: true }));
  } catch (err) {
    process.stderr.write(`verge control-plane: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.config === undefined) {
    process.stderr.write('verge control-plane: give --config FILE (a file with a controlPlane section, docs/control-plane.md)\n');
    return 2;
  }
  if (values.port !== undefined && (!/^\d+$/.test(values.port) || Number(values.port) > 65535)) {
    process.stderr.write(`verge control-plane: --port must be a whole number from 0 to 65535, got "${values.port}"\n`);
    return 2;
  }
  const { controlPlaneCommand } = await import('./control-plane-command.ts');
  return controlPlaneCommand({ configPath: values.config, ...(values.port === undefined ? {} : { port: Number(values.port) }) });
}
