/**
 * Every failure Verge reports is a VergeError with a stable `code` (listed in docs/errors.md).
 * `fault` says whose mistake it was: the user's (bad config, bad function result) or ours / the
 * environment's (origin down, internal bug). The HTTP mapping lives in one place: error-response.ts.
 */
export type Fault = 'user' | 'system';

export class VergeError extends Error {
  readonly code: string;
  readonly fault: Fault;
  /** Structured details for the operator's log line; never sent to viewers. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, fault: Fault, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.fault = fault;
    this.details = details;
  }
}

/** One problem found while validating configuration, named by its option path. */
export interface ConfigIssue {
  /** e.g. `behaviors[2].functions.viewer-request.name` */
  readonly path: string;
  readonly message: string;
}

/** The config file is missing, unreadable, unparsable or invalid. Lists every problem by path. */
export class ConfigError extends VergeError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], source: string) {
    const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('VERGE_ERR_CONFIG_INVALID', `Invalid configuration in ${source}:\n${lines}`, 'user', { issues, source });
    this.issues = issues;
  }
}
