import type { EdgeRequest, EdgeResponse } from './edge-message.ts';
import { invalid, validateRequestHookResult, validateResponse, type RequestHookResult, type ResponseHookResult } from './cf-result.ts';
import type { WireResult } from './cf-wire.ts';
import { validateCffOriginChange, type CffOriginChange } from './cff-origin.ts';

// A CloudFront Function's result, checked on the host as CloudFront checks it. The header rules
// (disallowed and read-only headers per viewer event), the URI, the read-only method, base64 and the
// 40 KB response limit are the same as for Lambda@Edge ("Restrictions on all edge functions"), so
// cf-result.ts's checks run; what differs is here: `statusCode` is an integer, a viewer-response
// function may change the status ("Status code and body"), and a viewer-request function may change
// the origin.

export type CffRequestHookResult = RequestHookResult & { readonly originChange?: CffOriginChange };

function checkStatusCode(eventType: 'viewer-request' | 'viewer-response', status: unknown): void {
  if (typeof status !== 'number' || !Number.isInteger(status)) {
    throw invalid(eventType, `response.statusCode must be an integer (a number, not a string), got ${JSON.stringify(status) ?? 'undefined'}`);
  }
}

/** A viewer-request result: the request (maybe with an origin change) or a generated response. */
export function validateCffRequestResult(result: WireResult, input: EdgeRequest): CffRequestHookResult {
  const v = result.scalars;
  if (v.t === 'S') {
    checkStatusCode('viewer-request', v.status);
    return validateRequestHookResult('viewer-request', result, input);
  }
  const validated = validateRequestHookResult('viewer-request', result, input);
  const originChange = validateCffOriginChange(v.co);
  return originChange === undefined ? validated : { ...validated, originChange };
}

/** A viewer-response result: the response, with a new body if `body` was set. */
export function validateCffResponseResult(result: WireResult, input: EdgeResponse): ResponseHookResult {
  const v = result.scalars;
  if (v.t !== 'S') throw invalid('viewer-response', 'expected a response object (with a statusCode)');
  checkStatusCode('viewer-response', v.status);
  const { response, body } = validateResponse('viewer-response', result, input.headers);
  return { response, body: v.body === undefined ? undefined : body };
}
