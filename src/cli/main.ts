import { parseArgs } from 'node:util';
import { serveCommand } from './serve-command.ts';

const HELP = `verge: a self-hostable edge-function runtime and CDN reverse proxy

Usage:
  verge serve --config FILE [--port N] [--workers N|auto] [--watch]
                                                    run an edge node from a config file (YAML or JSON)
  verge serve --demo [--port N] [--workers N|auto]  run the demo: an edge node in front of examples/site
  verge --help                                      show this help

Options:
  --config FILE   the edge node configuration (docs/config.md)
  --port N        listen on port N instead of listen.port (0 picks a free port)
  --workers N     worker processes (1-256) or auto (one per core); overrides the config's workers
  --watch         reload function code files when they change (development)
  --demo          the embedded default used by \`npm start\`; ORIGIN_URL=https://… fronts that site instead

Environment:
  ORIGIN_URL        with --demo: the origin to front instead of the demo site
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
    if (!values.demo && values.config === undefined) {
      process.stderr.write('verge serve: give --config FILE (or --demo)\n');
      return 2;
    }
    return serveCommand({ configPath: values.config, demo: values.demo, port, watch: values.watch, workers });
  }
  process.stderr.write(`verge: unknown command "${command}"\n\n${HELP}`);
  return 2;
}
