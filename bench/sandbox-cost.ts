// Cost of the sandbox per isolate (issue 3: ≤ 1.5 MB RSS per warm isolate, a cold start of a few ms).
// Run briefly: npx node --no-node-snapshot --expose-gc bench/sandbox-cost.ts
// npx node --no-node-snapshot --expose-gc bench/sandbox-cost.ts 200 eager-cache   (caches made at compile only)
// npx node --no-node-snapshot --expose-gc bench/sandbox-cost.ts 200 warm URL       (one row: its RSS is exact)
// Prints, for isolates with the bootstrap only ("bare", as before the sandbox), with the sandbox core,
// and for functions that use modules or URL: CPU time to create one, V8 heap used, and RSS per isolate.
import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import { createBlankIsolate } from '../src/runtime/blank-isolate.ts';
import { IsolateInstance } from '../src/runtime/isolate-instance.ts';
import { createFunctionVersion } from '../src/runtime/function-version.ts';
import { bootstrapCode, unitCode } from '../src/runtime/sandbox/sandbox-units.ts';
import { CodeCacheProducer } from '../src/runtime/code-cache.ts';
import { functionConfig } from '../src/config/function-config.ts';

const N = Number(process.argv[2] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
// The bootstrap as isolates run it: bundled with the modules it imports.
const BOOTSTRAP = bootstrapCode(fileURLToPath(new URL('../src/runtime/lambda-edge.isolate.js', import.meta.url)));
let bareCache: ivm.ExternalCopy<ArrayBuffer> | undefined;

function bare(): ivm.Isolate {
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const context = isolate.createContextSync();
  const s = isolate.compileScriptSync(BOOTSTRAP, bareCache ? { cachedData: bareCache } : { produceCachedData: true });
  bareCache ??= (s as ivm.Script & ivm.CachedDataResult).cachedData;
  s.runSync(context, { reference: true });
  return isolate;
}

const FUNCTIONS: Record<string, string> = {
  'plain handler': `exports.handler = async (e) => e.Records[0].cf.request;`,
  'crypto + querystring': `const c = require('crypto'); const qs = require('querystring');\nexports.handler = async (e) => { qs.parse('a=1'); c.createHmac('sha256', 'k').update('x').digest('hex'); return e.Records[0].cf.request; };`,
  'zlib (gzipSync at load)': `const z = require('zlib'); z.gzipSync('x');\nexports.handler = async (e) => e.Records[0].cf.request;`,
  'URL (used at load)': `new URL('https://a.example/');\nexports.handler = async (e) => e.Records[0].cf.request;`,
};

/** Optional third argument: measure only rows whose label contains it (RSS is only exact for the first row of a process). */
const only = process.argv[4];

function measure(label: string, make: () => ivm.Isolate): void {
  if (only !== undefined && !label.includes(only)) return;
  make(); // warm code caches
  gc();
  const rss0 = process.memoryUsage().rss;
  const isolates: ivm.Isolate[] = [];
  // CPU time, not wall-clock: other processes share this machine's cores. Best of 5 batches.
  let ms = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < N / 5; i++) isolates.push(make());
    const cpu = process.cpuUsage(cpu0);
    ms = Math.min(ms, (cpu.user + cpu.system) / 1000 / (N / 5));
  }
  gc();
  const rss = (process.memoryUsage().rss - rss0) / N / 1024 / 1024;
  const heap = isolates[0]!.getHeapStatisticsSync();
  console.log(`${label.padEnd(34)} ${ms.toFixed(2).padStart(6)} ms  heap used ${(heap.used_heap_size / 1024).toFixed(0).padStart(5)} KB  RSS/isolate ${rss.toFixed(2)} MB`);
  for (const i of isolates) i.dispose();
}

// Let the once-per-process code caches be made (sandbox.ts, warmCache) before measuring.
for (const code of Object.values(FUNCTIONS)) {
  const v = createFunctionVersion(functionConfig({ name: 'w', codePath: '/var/task/w.js', memoryMb: 128, timeoutMs: 1000 }), code);
  new IsolateInstance(v, createBlankIsolate(128), 1000, performance.now()).dispose();
}
await new Promise((r) => setTimeout(r, 500));
if (process.argv[3] === 'eager-cache') {
  // For comparison: code caches made at compile time only, as before warmCache.
  for (const name of ['core', 'buffer', 'crypto', 'querystring', 'zlib', 'url-global']) {
    const unit = unitCode(name);
    const scratch = new ivm.Isolate({ memoryLimit: 64 });
    const script = scratch.compileScriptSync(unit.source, { filename: unit.filename, produceCachedData: true });
    unit.cachedData = (script as ivm.Script & ivm.CachedDataResult).cachedData;
    scratch.dispose();
  }
}

// The process's own first allocations (isolated-vm's thread pool, allocator arenas) would be counted
// against whichever row runs first: make and drop some isolates before measuring.
for (const i of Array.from({ length: 50 }, bare)) i.dispose();

measure('bare bootstrap (before)', bare);
measure('blank isolate (bootstrap + core)', () => createBlankIsolate(128).isolate);
// Each function's own code cache, made as the pool makes it (code-cache.ts), so every measured cold
// start compiles from it.
const producer = new CodeCacheProducer();
for (const [label, code] of Object.entries(FUNCTIONS)) {
  const version = createFunctionVersion(functionConfig({ name: 'f', codePath: '/var/task/f.js', memoryMb: 128, timeoutMs: 1000 }), code);
  const first = new IsolateInstance(version, createBlankIsolate(128), 1000, performance.now());
  if (first.uncachedScript !== undefined) producer.request(version, first.uncachedScript);
  first.dispose();
  await producer.settled();
  measure(`function: ${label}`, () => new IsolateInstance(version, createBlankIsolate(128), 1000, performance.now()).isolate);
}
producer.close();
