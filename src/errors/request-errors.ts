import { VergeError } from './verge-error.ts';

/** A request body bigger than Verge will buffer for a function that asked for it (includeBody). 413. */
export class RequestBodyTooLargeError extends VergeError {
  constructor(limitBytes: number) {
    super('VERGE_ERR_REQUEST_BODY_TOO_LARGE', `The request body is larger than ${limitBytes} bytes`, 'user', { limitBytes });
  }
}

/** No behavior's path pattern matches the request (a configuration without a "*" behavior). 404. */
export class NoBehaviorError extends VergeError {
  constructor(uri: string) {
    super('VERGE_ERR_NO_BEHAVIOR', `No behavior matches ${uri}`, 'user', { uri });
  }
}
