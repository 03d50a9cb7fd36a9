import { VergeError } from './verge-error.ts';

/** The origin could not be reached (refused, DNS, TLS, connect timeout, reset before a response). 502. */
export class OriginUnreachableError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('VERGE_ERR_ORIGIN_UNREACHABLE', message, 'system', details, options);
  }
}

/** The origin accepted the connection but did not answer within readTimeoutMs. 504. */
export class OriginTimeoutError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('VERGE_ERR_ORIGIN_TIMEOUT', message, 'system', details, options);
  }
}
