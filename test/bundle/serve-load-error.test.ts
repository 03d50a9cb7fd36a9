import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { functionPackage } from '../helpers/function-package.ts';

// `verge serve` with a function that cannot load exits 1 with the message, like a config error,
// instead of starting and failing the function's first request.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = join(ROOT, 'node_modules/.bin/node');
const VERGE = join(ROOT, 'bin/verge.js');

test('verge serve exits 1 naming the module, the importing file and the function', async () => {
  const dir = functionPackage({
    'fns/reader/package.json': '{"name":"reader"}',
    'fns/reader/index.js': `const fs = require('fs');\nexports.handler = async () => ({ status: '200', body: fs.readFileSync('/etc/hostname', 'utf8') });`,
    'verge.yaml': `listen: { host: 127.0.0.1, port: 0 }
origins: [{ id: site, url: "http://127.0.0.1:9" }]
functions: [{ name: reader, code: ./fns/reader }]
behaviors: [{ pathPattern: "*", originId: site, functions: { viewer-request: { name: reader } } }]
`,
  });
  const child = spawn(NODE, [VERGE, 'serve', '--config', join(dir, 'verge.yaml')], { cwd: ROOT });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(1);
  expect(stderr).toContain(
    "verge serve: The function reader could not be loaded: Cannot find module 'fs' imported from index.js: the Verge sandbox offers querystring, url, buffer, crypto, zlib, path, util, events",
  );
});
