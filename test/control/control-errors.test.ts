import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, expect, test } from 'vitest';
import { openControlStore } from '../../src/control/open-control-store.ts';
import { presentError } from '../../src/errors/error-response.ts';
import { putSource, SETTINGS } from './control-store-contract.ts';

const dir = mkdtempSync(`${tmpdir()}/verge-control-errors-`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const present = (err: unknown) => presentError(err, { executionErrorStatus: 503 });

test('control store errors are presented as 400, 404, 409 (the caller’s fault, warn) and 503 (the store’s, error)', async () => {
  const store = await openControlStore({ kind: 'sqlite', file: ':memory:' });
  const code = await putSource(store, 'x');
  await store.createFunction('auth', SETTINGS, code);
  await store.publishVersion('auth', '');

  const conflict = await store.createFunction('auth', SETTINGS, code).catch((e: unknown) => e);
  expect(present(conflict)).toMatchObject({ status: 409, code: 'VERGE_ERR_CONTROL_CONFLICT', message: 'function "auth" already exists', logLevel: 'warn' });
  const notFound = await store.getVersion('auth', 7).catch((e: unknown) => e);
  expect(present(notFound)).toMatchObject({ status: 404, code: 'VERGE_ERR_CONTROL_NOT_FOUND', message: 'function "auth" has no version 7', logLevel: 'warn' });
  const invalid = await store.createAlias('auth', { name: 'live', functionVersion: 1, additionalVersionWeights: { '2': 3 } }).catch((e: unknown) => e);
  expect(present(invalid)).toMatchObject({ status: 400, code: 'VERGE_ERR_CONTROL_INVALID', logLevel: 'warn' });
  await store.close();

  const unusable = await openControlStore({ kind: 'sqlite', file: dir }).catch((e: unknown) => e);
  expect(present(unusable)).toMatchObject({ status: 503, code: 'VERGE_ERR_CONTROL_STORE', message: expect.stringContaining(dir), logLevel: 'error' });
});
