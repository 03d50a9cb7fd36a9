import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';
import { packageSizeBytes } from '../../src/runtime/bundle/package-size.ts';
import { functionPackage } from '../helpers/function-package.ts';

// Lambda@Edge caps the compressed package: 1 MB for viewer events, 50 MB for origin events. A config
// over the limit is rejected when it loads, naming the field.

const HANDLER = 'exports.handler = async (e) => e.Records[0].cf.request;';

function configWith(code: string, events: readonly string[]): unknown {
  return {
    origins: [{ id: 'o', url: 'http://127.0.0.1:9' }],
    functions: [{ name: 'big', code }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: Object.fromEntries(events.map((eventType) => [eventType, { name: 'big' }])) }],
  };
}

function issuesOf(raw: unknown): string[] {
  try {
    parseConfig(raw, '/');
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
}

// 1.2 MB of random bytes: incompressible, so its zip is over 1 MB too.
const incompressible = functionPackage({ 'index.js': HANDLER, 'data/blob.bin': randomBytes(1_200_000) });

test('a directory package over 1 MB compressed is rejected for a viewer event, naming functions[0].code and the association', () => {
  const issues = issuesOf(configWith(incompressible, ['viewer-request']));
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatch(/^functions\[0\]\.code: the package is \d+ bytes compressed, over the viewer-request limit of 1048576 bytes \(1 MB; used by behaviors\[0\]\.functions\.viewer-request\)$/);
});

test('the same package is accepted for origin events (50 MB)', () => {
  expect(issuesOf(configWith(incompressible, ['origin-request', 'origin-response']))).toEqual([]);
});

test('one issue per function even when it is used at several viewer and origin events', () => {
  const issues = issuesOf(configWith(incompressible, ['origin-request', 'viewer-response', 'viewer-request']));
  expect(issues).toHaveLength(1);
  expect(issues[0]).toMatch(/^functions\[0\]\.code: .* over the viewer-(request|response) limit/);
});

test('a directory of 3 MB that compresses well is measured as its zip and accepted for a viewer event', () => {
  const compressible = functionPackage({ 'index.js': HANDLER, 'data/zeros.txt': 'a'.repeat(3 * 1024 * 1024) });
  expect(packageSizeBytes(compressible, 1024 * 1024)).toBeLessThan(100 * 1024);
  expect(issuesOf(configWith(compressible, ['viewer-request']))).toEqual([]);
});

test('a .zip package is measured by its file size', () => {
  const dir = functionPackage({ 'pkg.zip': randomBytes(1_100_000) });
  const issues = issuesOf(configWith(`${dir}/pkg.zip`, ['viewer-response']));
  expect(issues).toEqual([`functions[0].code: the package is 1100000 bytes compressed, over the viewer-response limit of 1048576 bytes (1 MB; used by behaviors[0].functions.viewer-response)`]);
});

test('a single file is measured by its size', () => {
  const dir = functionPackage({ 'index.js': `${HANDLER}\n//${'x'.repeat(1_100_000)}` });
  expect(issuesOf(configWith(`${dir}/index.js`, ['viewer-request']))[0]).toMatch(/^functions\[0\]\.code: the package is 1100\d+ bytes compressed/);
});
