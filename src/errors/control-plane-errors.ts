import type { ConfigIssue } from './verge-error.ts';
import { VergeError } from './verge-error.ts';

/**
 * What the control plane's service layer (src/control/) refuses besides the store's own errors
 * (ControlNotFoundError, ControlConflictError): a code package that cannot be loaded, and a
 * distribution revision that breaks a rule or names a function version that does not exist. Both
 * are the caller's fault; the admin API answers them 400 with `{ code, message, issues }`.
 */
export type ControlPlaneErrorCode = 'VERGE_ERR_CONTROL_INVALID_CODE' | 'VERGE_ERR_CONTROL_INVALID_REVISION';

/** An uploaded code package that is not a loadable function: wrong format, unsafe archive, syntax error, missing handler, module the sandbox lacks. 400. */
export class ControlInvalidCodeError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_CONTROL_INVALID_CODE', message, 'user', details);
  }
}

/** A distribution revision that cannot be saved or resolved; `issues` name each path (`behaviors[1].functions.viewer-request`). 400. */
export class ControlInvalidRevisionError extends VergeError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[], what: string) {
    const shown = issues.slice(0, 5).map((i) => (i.path === '' ? i.message : `${i.path}: ${i.message}`));
    const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
    super('VERGE_ERR_CONTROL_INVALID_REVISION', `${what}: ${shown.join('; ')}${more}`, 'user', { issues });
    this.issues = issues;
  }
}
