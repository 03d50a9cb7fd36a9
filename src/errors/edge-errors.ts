import { VergeError } from './verge-error.ts';

/**
 * An edge node run by a control plane (`verge serve --control-plane`) that has no revision yet: none
 * on its disk (`--state-dir`) and none received. It answers 503 until its first revision applies.
 */
export class NoRevisionError extends VergeError {
  constructor() {
    super('VERGE_ERR_NO_REVISION', 'This edge node has not received a distribution revision from its control plane yet', 'system');
  }
}

/** Code downloaded from the control plane whose bytes do not hash to the sha256 the revision names. */
export class CodeIntegrityError extends VergeError {
  constructor(expected: string, actual: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_CODE_INTEGRITY', `Code ${expected} downloaded from the control plane hashes to ${actual}: refused`, 'system', { expected, actual, ...details });
  }
}

/**
 * A revision document the edge node could not apply: it does not validate, its configuration breaks a
 * rule, its code could not be fetched or verified, or a function does not load. The node keeps
 * serving the revision it served; `cause` holds the underlying error.
 */
export class RevisionApplyError extends VergeError {
  constructor(message: string, details: Record<string, unknown>, cause?: unknown) {
    super('VERGE_ERR_REVISION_APPLY', message, 'user', details, { cause });
  }
}

/** The control plane did not answer, or answered with an unexpected status; the node keeps serving and retries. */
export class ControlPlaneUnreachableError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('VERGE_ERR_CONTROL_PLANE_UNREACHABLE', message, 'system', details, { cause });
  }
}
