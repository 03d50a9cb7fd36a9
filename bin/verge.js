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
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, process.argv[1], ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
