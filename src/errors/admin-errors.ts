import { VergeError } from './verge-error.ts';

/**
 * Failures of the admin API (src/admin/). Each is answered as JSON `{ code, message }` with the
 * status error-response.ts gives its code; they are the caller's fault, logged at `warn`.
 */
export type AdminErrorCode =
  | 'VERGE_ERR_ADMIN_UNAUTHORIZED'
  | 'VERGE_ERR_ADMIN_FORBIDDEN'
  | 'VERGE_ERR_ADMIN_BAD_REQUEST'
  | 'VERGE_ERR_ADMIN_NOT_FOUND'
  | 'VERGE_ERR_ADMIN_PAYLOAD_TOO_LARGE';

export class AdminError extends VergeError {
  constructor(code: AdminErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 'user', details);
  }
}

/** No `Authorization: Bearer …` header, a malformed one, or the wrong token. 401. */
export class AdminUnauthorizedError extends AdminError {
  constructor(message: string) {
    super('VERGE_ERR_ADMIN_UNAUTHORIZED', message);
  }
}

/**
 * A request the admin server refuses whoever sends it: without a token, only requests addressed to
 * a loopback host name are taken (a DNS-rebinding page in a browser cannot pass). 403.
 */
export class AdminForbiddenError extends AdminError {
  constructor(message: string) {
    super('VERGE_ERR_ADMIN_FORBIDDEN', message);
  }
}

/** A body that is not JSON, or JSON that breaks a rule; the message names the field. 400. */
export class AdminBadRequestError extends AdminError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('VERGE_ERR_ADMIN_BAD_REQUEST', message, details);
  }
}

/** No such route, or no such resource (an invalidation id not, or no longer, kept). 404. */
export class AdminNotFoundError extends AdminError {
  constructor(message: string) {
    super('VERGE_ERR_ADMIN_NOT_FOUND', message);
  }
}

/** A request body over the admin API's limit. 413. */
export class AdminPayloadTooLargeError extends AdminError {
  constructor(limitBytes: number) {
    super('VERGE_ERR_ADMIN_PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes`, { limitBytes });
  }
}
