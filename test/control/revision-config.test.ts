/** A revision document as the node's configuration (src/control/revision-config.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { storeCode } from '../../src/control/revision-state.ts';
import { functionNameFor, revisionConfig } from '../../src/control/revision-config.ts';
import { ConfigError } from '../../src/errors/verge-error.ts';
import { association, revisionDoc, version } from '../helpers/revision-fixtures.ts';

const node = { codeDir: '/nonexistent-code-dir', listen: { host: '127.0.0.1', port: 0 }, location: 'fra-1' };

test('version keys become config function names: name_3, name_LATEST, shortened past 64 characters without colliding', () => {
  expect(functionNameFor('resize:3')).toBe('resize_3');
  expect(functionNameFor('resize:$LATEST')).toBe('resize_LATEST');
  expect(functionNameFor('a_1:2')).not.toBe(functionNameFor('a:12'));
  const long = 'f'.repeat(64);
  const a = functionNameFor(`${long}:1234567890`);
  const b = functionNameFor(`${'f'.repeat(63)}g:1234567890`);
  expect(a).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(a.endsWith('_1234567890')).toBe(true);
  expect(a).not.toBe(b);
});

test('the node keeps its own listen and location; a document cannot set them', () => {
  const v1 = version('tag:1', 'exports.handler = async (e) => e.Records[0].cf.request;');
  const doc = revisionDoc(1, 'http://127.0.0.1:9', [v1], { 'viewer-request': association('tag:1', { key: 'tag:1', weight: 0 }) });
  const withNodeOptions = { ...doc, config: { ...doc.config, listen: { port: 1 }, location: 'elsewhere', workers: 64 } };
  // The code file does not exist here: the config is built, and the check names the function's code path.
  expect(() => revisionConfig(withNodeOptions, node)).toThrow(ConfigError);
  try {
    revisionConfig(withNodeOptions, node);
  } catch (err) {
    const paths = (err as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(['functions[0].code']);
    expect((err as ConfigError).message).toContain(`/nonexistent-code-dir/${v1.code.sha256}/index.js`);
  }
});

test('associations name the versions by their config names, with the weighted second version as additional', async () => {
  const codeDir = mkdtempSync(join(tmpdir(), 'verge-code-'));
  const v1 = version('site:1', 'exports.handler = async (e) => e.Records[0].cf.request;');
  const v2 = version('site:2', 'exports.handler = async (e) => e.Records[0].cf.request; // two');
  await storeCode(codeDir, v1, Buffer.from(v1.source));
  await storeCode(codeDir, v2, Buffer.from(v2.source));
  const { config, keysByName } = revisionConfig(revisionDoc(4, 'http://127.0.0.1:9', [v1, v2], { 'viewer-request': association('site:1', { key: 'site:2', weight: 0.25 }) }), { ...node, codeDir });
  expect(config.location).toBe('fra-1');
  expect(config.functions.map((f) => f.name)).toEqual(['site_1', 'site_2']);
  expect(config.behaviors[0]!.functions['viewer-request']).toEqual({ name: 'site_1', includeBody: false, additional: { name: 'site_2', weight: 0.25 } });
  expect([...keysByName]).toEqual([['site_1', 'site:1'], ['site_2', 'site:2']]);
});
