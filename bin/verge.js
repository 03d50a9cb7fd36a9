#!/usr/bin/env node
// Plain JavaScript on purpose: this file must run (and explain itself) on any Node version, so it
// checks the version before loading the TypeScript sources, which need Node 24's type stripping.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `verge: Node.js 24 or newer is required, but this is Node.js ${process.versions.node}.\n` +
      `Run it through npm (npm start / npx verge), which uses the Node 24 that npm install provides,\n` +
      `or install Node 24 (see .nvmrc).\n`,
  );
  process.exit(1);
}
// isolated-vm needs --no-node-snapshot on Node >= 20; re-exec once with it when it is missing.
if (!process.execArgv.includes('--no-node-snapshot')) {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--no-node-snapshot', ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, VERGE_WRAPPER_PID: String(process.pid) },
  });
  // Forward stop signals so that `kill <pid of this process>` drains and stops the real server.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
} else {
  const wrapperPid = Number(process.env.VERGE_WRAPPER_PID);
  delete process.env.VERGE_WRAPPER_PID;
  if (wrapperPid > 0 && process.ppid === wrapperPid) {
    // Started by the re-exec above. If that process is killed without passing a signal on (SIGKILL),
    // this one is re-parented; stop as if sent SIGTERM (drain, then exit) rather than live on orphaned.
    setInterval(() => {
      if (process.ppid !== wrapperPid) process.kill(process.pid, 'SIGTERM');
    }, 1000).unref();
  }
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
}
