import { VergeError } from './verge-error.ts';

/**
 * Failures of the control plane's store (src/control/control-store.ts). The admin API answers them
 * as JSON `{ code, message }` with the status error-response.ts gives their code. Messages name the
 * thing (`function "auth" has no version 7`) so the answer alone says what to fix.
 */
export type ControlErrorCode = 'VERGE_ERR_CONTROL_CONFLICT' | 'VERGE_ERR_CONTROL_NOT_FOUND' | 'VERGE_ERR_CONTROL_INVALID' | 'VERGE_ERR_CONTROL_STORE';

/**
 * The write lost a race or repeats a create: the name exists, the record changed since the caller
 * read it (`expectedRevisionId`, Lambda's PreconditionFailedException), or a deployment is no longer
 * in the status the caller expected. 409.
 */
export class ControlConflictError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_CONTROL_CONFLICT', message, 'user', details);
  }
}

/** A function, version, alias, code bundle, distribution revision, location or deployment that does not exist. 404. */
export class ControlNotFoundError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_CONTROL_NOT_FOUND', message, 'user', details);
  }
}

/**
 * A write the store refuses whatever its state: an alias's weights outside 0..1, more than one
 * additional version, the additional version equal to the primary, an all-digits alias name (it
 * would read as a version: `fn:3`). 400.
 */
export class ControlInvalidError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_CONTROL_INVALID', message, 'user', details);
  }
}

/**
 * The store cannot be used: its file is not a database (corrupt, truncated, another program's),
 * cannot be opened, was written by a newer Verge, is closed, or a statement failed (disk full, I/O
 * error, locked by another process for too long). Nothing was changed. 503.
 */
export class ControlStoreError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('VERGE_ERR_CONTROL_STORE', message, 'system', details, options);
  }
}

// The messages every store gives, so that a PostgreSQL store answers word for word as SQLite's.

export function functionNotFound(name: string): ControlNotFoundError {
  return new ControlNotFoundError(`function "${name}" does not exist`, { functionName: name });
}

export function versionNotFound(functionName: string, version: number): ControlNotFoundError {
  return new ControlNotFoundError(`function "${functionName}" has no version ${version}`, { functionName, version });
}

export function aliasNotFound(functionName: string, alias: string): ControlNotFoundError {
  return new ControlNotFoundError(`function "${functionName}" has no alias "${alias}"`, { functionName, alias });
}

export function distributionNotFound(distributionId: string): ControlNotFoundError {
  return new ControlNotFoundError(`distribution "${distributionId}" does not exist`, { distributionId });
}

export function revisionNotFound(distributionId: string, revision: number): ControlNotFoundError {
  return new ControlNotFoundError(`distribution "${distributionId}" has no revision ${revision}`, { distributionId, revision });
}

export function locationNotFound(location: string): ControlNotFoundError {
  return new ControlNotFoundError(`location "${location}" is not registered`, { location });
}

export function deploymentNotFound(deploymentId: string): ControlNotFoundError {
  return new ControlNotFoundError(`deployment "${deploymentId}" does not exist`, { deploymentId });
}

/** `what` names the record: `function "auth"`, `alias "live" of function "auth"`. */
export function staleRevisionId(what: string, expected: string, actual: string): ControlConflictError {
  return new ControlConflictError(`${what} has changed: its revisionId is ${actual}, not ${expected}`, { expectedRevisionId: expected, revisionId: actual });
}
