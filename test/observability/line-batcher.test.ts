import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';

// Log lines are joined into batches before sonic-boom writes them (observability/line-batcher.ts).
// None may be lost or reordered: not at the batch limit, not between periodic flushes, not when the
// process exits right after logging, with the synchronous destination (createLogger) or the
// asynchronous one that workers share stdout with (createSharedStdoutLogger).

const src = (p: string) => fileURLToPath(new URL(`../../src/${p}`, import.meta.url));

async function linesFromChild(factory: 'createLogger' | 'createSharedStdoutLogger', count: number, exitHow: 'exit' | 'idle'): Promise<string[]> {
  const module = factory === 'createLogger' ? src('observability/logger.ts') : src('cli/shared-stdout-logger.ts');
  const script = `
    const { ${factory} } = await import(${JSON.stringify(module)});
    const logger = ${factory}();
    for (let i = 0; i < ${count}; i++) logger.info({ type: 'line', i, pad: 'é'.repeat(i % 50) }, 'line ' + i);
    ${exitHow === 'exit' ? 'process.exit(0);' : 'setTimeout(() => {}, 400);'}`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l !== '');
}

test.each([
  ['createLogger', 'exit'],
  ['createLogger', 'idle'],
  ['createSharedStdoutLogger', 'exit'],
  ['createSharedStdoutLogger', 'idle'],
] as const)('%s: every line reaches stdout whole and in order (process ends by %s)', async (factory, exitHow) => {
  const count = 3000;
  const lines = await linesFromChild(factory, count, exitHow);
  expect(lines).toHaveLength(count);
  lines.forEach((line, i) => {
    const parsed = JSON.parse(line) as { i: number; msg: string; pad: string };
    expect(parsed.i).toBe(i);
    expect(parsed.msg).toBe(`line ${i}`);
    expect(parsed.pad).toBe('é'.repeat(i % 50));
  });
});

test('a few lines and then nothing: the periodic flush writes them while the process keeps running', async () => {
  const script = `
    const { createLogger } = await import(${JSON.stringify(src('observability/logger.ts'))});
    const logger = createLogger();
    for (let i = 0; i < 3; i++) logger.info({ type: 'line', i }, 'line ' + i);
    setTimeout(() => {}, 10000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.split('\n').filter((l) => l !== '').length >= 3) resolve();
      });
      child.once('exit', () => reject(new Error(`exited before its lines were written: ${out}`)));
    });
    expect(child.exitCode).toBeNull();
    expect(out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([0, 1, 2]);
  } finally {
    child.kill('SIGKILL');
  }
});
