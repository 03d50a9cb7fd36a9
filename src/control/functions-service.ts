/**
 * Functions as Lambda manages them, over a ControlStore: create (with code), update-code and
 * update-config of the mutable $LATEST, publish (an immutable numbered version), get, list,
 * delete. Every write checks what Lambda would: settings by the config file's rules
 * (function-settings.ts), code by loading it with the edge node's bundler (code-check.ts), so a
 * version that is published can be deployed.
 */
import { ControlInvalidError, ControlStoreError } from '../errors/control-errors.ts';
import type { ConfigIssue } from '../errors/verge-error.ts';
import { checkCodeLoads } from './code-check.ts';
import { codePackageOf, type CodeUpload } from './code-package.ts';
import type { ControlStore, FunctionRecord, FunctionSettings, FunctionVersion } from './control-store.ts';
import { settingsIssues, settingsWithDefaults, type SettingsInput, type SettingsPatch } from './function-settings.ts';
import type { CodeRef } from './revision-document.ts';

export class FunctionsService {
  readonly #store: ControlStore;

  constructor(store: ControlStore) {
    this.#store = store;
  }

  /** Lambda's CreateFunction: $LATEST with these settings (defaults filled) and this code. */
  async create(name: string, input: SettingsInput, upload: CodeUpload): Promise<FunctionRecord> {
    const settings = settingsWithDefaults(input);
    refuseIssues(settingsIssues(settings));
    const code = await this.#storeCode(name, upload, settings);
    return this.#store.createFunction(name, settings, code);
  }

  /** Lambda's UpdateFunctionCode: new code for $LATEST, checked against its handler and runtime. */
  async updateCode(name: string, upload: CodeUpload, expectedRevisionId?: string): Promise<FunctionRecord> {
    const current = await this.#store.getFunction(name);
    const code = await this.#storeCode(name, upload, current.settings);
    return this.#store.updateFunctionCode(name, code, expectedRevisionId);
  }

  /** Lambda's UpdateFunctionConfiguration. A new handler or runtime is checked against the current code. */
  async updateConfig(name: string, patch: SettingsPatch): Promise<FunctionRecord> {
    const { revisionId, ...changes } = patch;
    const current = await this.#store.getFunction(name);
    const next: FunctionSettings = { ...current.settings, ...changes };
    refuseIssues(settingsIssues(next));
    if (next.handler !== current.settings.handler || next.runtime !== current.settings.runtime) {
      const bytes = await this.#store.getCode(current.code.sha256);
      if (bytes === undefined) throw new ControlStoreError(`The store has no code ${current.code.sha256}, which function "${name}" names`, { functionName: name });
      await checkCodeLoads(name, { bytes, format: current.code.format, fileName: current.code.fileName }, next);
    }
    return this.#store.updateFunctionSettings(name, changes, revisionId);
  }

  /** Lambda's PublishVersion: the store returns the newest version again when $LATEST has not changed. */
  publish(name: string, description: string, expectedRevisionId?: string): Promise<FunctionVersion> {
    return this.#store.publishVersion(name, description, expectedRevisionId);
  }

  get(name: string): Promise<FunctionRecord> {
    return this.#store.getFunction(name);
  }

  list(): Promise<FunctionRecord[]> {
    return this.#store.listFunctions();
  }

  delete(name: string): Promise<void> {
    return this.#store.deleteFunction(name);
  }

  listVersions(name: string): Promise<FunctionVersion[]> {
    return this.#store.listVersions(name);
  }

  getVersion(name: string, version: number): Promise<FunctionVersion> {
    return this.#store.getVersion(name, version);
  }

  async #storeCode(name: string, upload: CodeUpload, settings: FunctionSettings): Promise<CodeRef> {
    const pkg = await codePackageOf(upload);
    await checkCodeLoads(name, pkg, settings);
    const { sha256, sizeBytes } = await this.#store.putCode(pkg.bytes);
    return { sha256, sizeBytes, format: pkg.format, fileName: pkg.fileName };
  }
}

function refuseIssues(issues: readonly ConfigIssue[]): void {
  if (issues.length === 0) return;
  throw new ControlInvalidError(`Invalid function settings: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
}
