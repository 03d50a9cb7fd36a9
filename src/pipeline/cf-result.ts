import { Buffer } from 'node:buffer';
import type { EventType } from '../config/types.ts';
import { LambdaValidationError } from '../errors/function-errors.ts';
import { GENERATED_RESPONSE_MAX_BYTES, INCLUDE_BODY_MAX_BYTES } from '../config/lambda-edge-limits.ts';
import { isDisallowedHeader, READ_ONLY_HEADERS } from './header-rules.ts';
import type { CfCustomOrigin, CfHeaders, CfRequest, CfResponse } from './cf-types.ts';

// CloudFront validates what a function returns before using it ("Lambda@Edge function validation
// errors"); any breach answers the viewer with 502 LambdaValidationError. These checks reproduce them.

/** RFC 9110 §5.1 field-name token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: no CR, LF or NUL in a field value; Node also refuses code points above U+00FF. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type RequestHookResult =
  | { readonly kind: 'request'; readonly request: CfRequest }
  | { readonly kind: 'response'; readonly response: CfResponse; readonly body: Buffer };

export interface ResponseHookResult {
  readonly response: CfResponse;
  /** Present when the function set `body`: the new body, decoded. */
  readonly body: Buffer | undefined;
}

function invalid(eventType: EventType, message: string): LambdaValidationError {
  return new LambdaValidationError(`The ${eventType} function returned an invalid result: ${message}`, { eventType });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A viewer-request or origin-request result: the request to continue with, or a generated response. */
export function validateRequestHookResult(eventType: 'viewer-request' | 'origin-request', value: unknown, input: CfRequest): RequestHookResult {
  if (!isObject(value)) throw invalid(eventType, 'expected a request or response object');
  if ('status' in value) {
    const { response, body } = validateResponseObject(eventType, value, {});
    if (eventType === 'viewer-request' && Number(response.status) === 204 && body.length > 0) {
      throw invalid(eventType, 'a 204 response cannot have a body');
    }
    return { kind: 'response', response, body };
  }
  if (typeof value.uri !== 'string' || !value.uri.startsWith('/')) throw invalid(eventType, 'request.uri must be a string starting with "/"');
  if (value.method !== input.method) throw invalid(eventType, `request.method is read-only (was ${input.method})`);
  const querystring = value.querystring ?? '';
  if (typeof querystring !== 'string') throw invalid(eventType, 'request.querystring must be a string');
  const headers = validateHeaders(eventType, value.headers, 'request.headers', input.headers);
  const request: CfRequest = { clientIp: input.clientIp, headers, method: input.method, querystring, uri: value.uri };
  if (input.body !== undefined) request.body = validateRequestBody(eventType, value.body, input);
  if (eventType === 'origin-request') request.origin = { custom: validateOrigin(value.origin, input) };
  return { kind: 'request', request };
}

/** An origin-response or viewer-response result: the response, with a new body if `body` was set. */
export function validateResponseHookResult(eventType: 'origin-response' | 'viewer-response', value: unknown, input: CfResponse): ResponseHookResult {
  if (!isObject(value)) throw invalid(eventType, 'expected a response object');
  const { response, body } = validateResponseObject(eventType, value, input.headers);
  // "Lambda@Edge functions for viewer response events cannot modify the HTTP status code."
  if (eventType === 'viewer-response' && response.status !== input.status) {
    throw invalid(eventType, `response.status is read-only in viewer-response (was ${input.status})`);
  }
  return { response, body: value.body === undefined ? undefined : body };
}

function validateResponseObject(eventType: EventType, value: Record<string, unknown>, inputHeaders: CfHeaders): { response: CfResponse; body: Buffer } {
  const status = Number(value.status);
  if ((typeof value.status !== 'string' && typeof value.status !== 'number') || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalid(eventType, `response.status must be an HTTP status from 200 to 599, got ${JSON.stringify(value.status)}`);
  }
  const statusDescription = value.statusDescription ?? '';
  if (typeof statusDescription !== 'string' || !FIELD_VALUE.test(statusDescription)) throw invalid(eventType, 'response.statusDescription must be a string');
  const headers = validateHeaders(eventType, value.headers ?? {}, 'response.headers', inputHeaders);
  const response: CfResponse = { status: String(status), statusDescription, headers };
  let body = EMPTY;
  if (value.body !== undefined) {
    const encoding = value.bodyEncoding ?? 'text';
    if (typeof value.body !== 'string') throw invalid(eventType, 'response.body must be a string');
    if (encoding !== 'text' && encoding !== 'base64') throw invalid(eventType, 'response.bodyEncoding must be "text" or "base64"');
    if (encoding === 'base64' && !BASE64.test(value.body)) throw invalid(eventType, 'response.body is not valid base64');
    body = Buffer.from(value.body, encoding === 'base64' ? 'base64' : 'utf8');
    const limit = GENERATED_RESPONSE_MAX_BYTES[eventType];
    const size = body.length + headerBytes(headers);
    if (size > limit) throw invalid(eventType, `the response is ${size} bytes, over the ${limit}-byte limit for ${eventType}`);
    response.body = value.body;
    response.bodyEncoding = encoding;
  }
  return { response, body };
}

const EMPTY = Buffer.alloc(0);

function headerBytes(headers: CfHeaders): number {
  let n = 0;
  for (const lower in headers) for (const e of headers[lower]!) n += lower.length + e.value.length + 4;
  return n;
}

/** Shape, syntax, disallowed additions and read-only changes, against the headers the function was given. */
function validateHeaders(eventType: EventType, value: unknown, path: string, input: CfHeaders): CfHeaders {
  if (!isObject(value)) throw invalid(eventType, `${path} must be an object`);
  const out: CfHeaders = {};
  for (const name in value) {
    const list = value[name];
    if (!Array.isArray(list)) throw invalid(eventType, `${path}["${name}"] must be an array of {key, value}`);
    const lower = name.toLowerCase();
    if (name !== lower) throw invalid(eventType, `${path}["${name}"]: header names must be lowercase object keys`);
    if (!TOKEN.test(name)) throw invalid(eventType, `${path}["${name}"] is not a valid header name`);
    if (list.length === 0) continue;
    if (isDisallowedHeader(lower) && input[lower] === undefined) throw invalid(eventType, `the ${name} header cannot be added`);
    const entries = [];
    for (let i = 0; i < list.length; i++) {
      const e: unknown = list[i];
      if (!isObject(e) || typeof e.value !== 'string') throw invalid(eventType, `${path}["${name}"][${i}].value must be a string`);
      if (!FIELD_VALUE.test(e.value)) throw invalid(eventType, `${path}["${name}"][${i}].value has characters not allowed in a header`);
      if (e.key !== undefined && (typeof e.key !== 'string' || e.key.toLowerCase() !== lower)) {
        throw invalid(eventType, `${path}["${name}"][${i}].key must be the header name "${name}" in any case`);
      }
      entries.push(e.key === undefined ? { value: e.value } : { key: e.key, value: e.value });
    }
    out[lower] = entries;
  }
  for (const lower of READ_ONLY_HEADERS[eventType]) {
    if (joined(input[lower]) !== joined(out[lower])) throw invalid(eventType, `the ${lower} header is read-only for ${eventType}`);
  }
  return out;
}

function joined(list: CfHeaders[string] | undefined): string | undefined {
  if (list === undefined || list.length === 0) return undefined;
  return list.map((e) => e.value).join('\n');
}

function validateRequestBody(eventType: 'viewer-request' | 'origin-request', value: unknown, input: CfRequest): CfRequest['body'] {
  if (value === undefined) return input.body;
  if (!isObject(value)) throw invalid(eventType, 'request.body must be an object');
  if (value.action !== 'replace') return input.body;
  const encoding = value.encoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'text') throw invalid(eventType, 'request.body.encoding must be "base64" or "text"');
  if (typeof value.data !== 'string') throw invalid(eventType, 'request.body.data must be a string');
  if (encoding === 'base64' && !BASE64.test(value.data)) throw invalid(eventType, 'request.body.data is not valid base64');
  const size = encoding === 'base64' ? Buffer.byteLength(value.data, 'base64') : Buffer.byteLength(value.data);
  const limit = INCLUDE_BODY_MAX_BYTES[eventType];
  if (size > limit) throw invalid(eventType, `the replaced request body is ${size} bytes, over the ${limit}-byte limit`);
  return { inputTruncated: false, action: 'replace', encoding, data: value.data };
}

function validateOrigin(value: unknown, input: CfRequest): CfCustomOrigin {
  const before = input.origin!.custom;
  if (value === undefined) return before;
  if (!isObject(value)) throw invalid('origin-request', 'request.origin must be an object');
  if (value.s3 !== undefined) throw invalid('origin-request', 'S3 origins are not supported by Verge; use a custom origin');
  const c = value.custom;
  if (!isObject(c)) throw invalid('origin-request', 'request.origin.custom must be an object');
  const domainName = c.domainName;
  if (typeof domainName !== 'string' || !/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(domainName)) {
    throw invalid('origin-request', 'request.origin.custom.domainName must be a host name');
  }
  const protocol = c.protocol ?? before.protocol;
  if (protocol !== 'http' && protocol !== 'https') throw invalid('origin-request', 'request.origin.custom.protocol must be "http" or "https"');
  const port = Number(c.port ?? (protocol === 'https' ? 443 : 80));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('origin-request', 'request.origin.custom.port must be from 1 to 65535');
  const path = c.path ?? '';
  if (typeof path !== 'string' || (path !== '' && (!path.startsWith('/') || path.endsWith('/')))) {
    throw invalid('origin-request', 'request.origin.custom.path must be "" or start with "/" and not end with "/"');
  }
  const customHeaders = validateHeaders('origin-request', c.customHeaders ?? {}, 'request.origin.custom.customHeaders', {});
  const readTimeout = Number(c.readTimeout ?? before.readTimeout);
  const keepaliveTimeout = Number(c.keepaliveTimeout ?? before.keepaliveTimeout);
  if (!(readTimeout >= 1 && readTimeout <= 180)) throw invalid('origin-request', 'request.origin.custom.readTimeout must be 1 to 180 seconds');
  return {
    customHeaders,
    domainName,
    keepaliveTimeout: keepaliveTimeout >= 1 && keepaliveTimeout <= 60 ? keepaliveTimeout : before.keepaliveTimeout,
    path,
    port,
    protocol,
    readTimeout,
    sslProtocols: Array.isArray(c.sslProtocols) ? c.sslProtocols.map(String) : before.sslProtocols,
  };
}
