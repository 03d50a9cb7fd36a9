/**
 * `POST /v1/functions/{name}/invocations?qualifier=Q` and `verge invoke NAME[:QUALIFIER] --event
 * FILE`: one function version run on a test event in the control plane's process, like the Lambda
 * console's Test button (test-invoke.ts). The version's code is written to a temporary directory for
 * the bundler and removed afterwards. An alias runs its primary version (the console does too).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionConfig } from '../config/function-config.ts';
import { ControlStoreError } from '../errors/control-errors.ts';
import type { CodeRef } from './revision-document.ts';
import type { ControlStore, FunctionSettings } from './control-store.ts';
import { invokeWithTestEvent, parseTestEvent, type TestInvocation } from './test-invoke.ts';

export interface QualifiedInvocation extends TestInvocation {
  /** The version that ran: a number, or `$LATEST`. */
  readonly version: number | '$LATEST';
}

export async function invokeQualified(store: ControlStore, name: string, qualifier: string, event: unknown): Promise<QualifiedInvocation> {
  parseTestEvent(event);
  let version: number | '$LATEST';
  let settings: FunctionSettings;
  let code: CodeRef;
  if (qualifier === '$LATEST') {
    const fn = await store.getFunction(name);
    ({ settings, code } = fn);
    version = '$LATEST';
  } else {
    const number = /^[1-9][0-9]{0,9}$/.test(qualifier) ? Number(qualifier) : (await store.getAlias(name, qualifier)).functionVersion;
    const v = await store.getVersion(name, number);
    ({ settings, code } = v);
    version = v.version;
  }
  const bytes = await store.getCode(code.sha256);
  if (bytes === undefined) throw new ControlStoreError(`The store has no code ${code.sha256}, which ${name}:${version} names`, { functionName: name });
  const dir = await mkdtemp(join(tmpdir(), 'verge-invoke-'));
  try {
    const codePath = join(dir, code.fileName);
    await writeFile(codePath, bytes);
    const fn = functionConfig({ name, codePath, runtime: settings.runtime, handler: settings.handler, memoryMb: settings.memoryMb, timeoutMs: settings.timeoutMs, environment: settings.environment });
    return { ...(await invokeWithTestEvent(fn, event)), version };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
