import { Buffer } from 'node:buffer';
import type { EventType } from '../config/types.ts';
import { LambdaValidationError } from '../errors/function-errors.ts';
import { GENERATED_RESPONSE_MAX_BYTES, INCLUDE_BODY_MAX_BYTES } from '../config/lambda-edge-limits.ts';
import type { WireResult } from './cf-wire.ts';
import type { CfCustomOrigin, CfHeaders, CfRequestBody } from './cf-types.ts';
import type { EdgeRequest, EdgeResponse } from './edge-message.ts';
import { headerNames, type HeaderList } from './header-list.ts';
import { isDisallowedHeader, isRefusedOriginCustomHeader, isValidOriginPath, READ_ONLY_HEADERS } from './header-rules.ts';

// CloudFront validates what a function returns before using it ("Lambda@Edge function validation
// errors"); any breach answers the viewer with 502 LambdaValidationError. These checks reproduce them.
// The result's shape (objects, arrays, string types, lowercase keys) was checked inside the isolate
// while it was flattened; everything that matters to the host is checked again here, on the flat
// list, because code in the isolate can be tampered with by the function it runs beside.

/** RFC 9110 §5.1 field-name token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 9110 §5.5: no CR, LF or NUL in a field value; Node also refuses code points above U+00FF. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const EMPTY = Buffer.alloc(0);

export type RequestHookResult =
  | { readonly kind: 'request'; readonly request: EdgeRequest }
  | { readonly kind: 'response'; readonly response: EdgeResponse; readonly body: Buffer };

export interface ResponseHookResult {
  readonly response: EdgeResponse;
  /** Present when the function set `body`: the new body, decoded. */
  readonly body: Buffer | undefined;
}

export function invalid(eventType: EventType, message: string): LambdaValidationError {
  return new LambdaValidationError(`The ${eventType} function returned an invalid result: ${message}`, { eventType });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A viewer-request or origin-request result: the request to continue with, or a generated response. */
export function validateRequestHookResult(eventType: 'viewer-request' | 'origin-request', result: WireResult, input: EdgeRequest): RequestHookResult {
  const v = result.scalars;
  if (v.t === 'S') {
    const { response, body } = validateResponse(eventType, result, []);
    if (eventType === 'viewer-request' && response.status === '204' && body.length > 0) throw invalid(eventType, 'a 204 response cannot have a body');
    return { kind: 'response', response, body };
  }
  if (typeof v.uri !== 'string' || !v.uri.startsWith('/')) throw invalid(eventType, 'request.uri must be a string starting with "/"');
  if (v.method !== input.method) throw invalid(eventType, `request.method is read-only (was ${input.method})`);
  const querystring = v.querystring ?? '';
  if (typeof querystring !== 'string') throw invalid(eventType, 'request.querystring must be a string');
  const headers = validateHeaderList(eventType, result, input.headers);
  const request: EdgeRequest = { clientIp: input.clientIp, method: input.method, uri: v.uri, querystring, headers };
  if (input.body !== undefined) request.body = validateRequestBody(eventType, v.body, input.body);
  if (eventType === 'origin-request') request.origin = validateOrigin(v.origin, input);
  return { kind: 'request', request };
}

/** An origin-response or viewer-response result: the response, with a new body if `body` was set. */
export function validateResponseHookResult(eventType: 'origin-response' | 'viewer-response', result: WireResult, input: EdgeResponse): ResponseHookResult {
  if (result.scalars.t !== 'S') throw invalid(eventType, 'expected a response object (with a status)');
  const { response, body } = validateResponse(eventType, result, input.headers);
  // "Lambda@Edge functions for viewer response events cannot modify the HTTP status code."
  if (eventType === 'viewer-response' && response.status !== input.status) {
    throw invalid(eventType, `response.status is read-only in viewer-response (was ${input.status})`);
  }
  return { response, body: result.scalars.body === undefined ? undefined : body };
}

/** The response checks shared by both runtimes (pipeline/cff-result.ts uses them too). */
export function validateResponse(eventType: EventType, result: WireResult, inputHeaders: HeaderList): { response: EdgeResponse; body: Buffer } {
  const v = result.scalars;
  const status = Number(v.status);
  if ((typeof v.status !== 'string' && typeof v.status !== 'number') || !Number.isInteger(status) || status < 200 || status > 599) {
    throw invalid(eventType, `response.status must be an HTTP status from 200 to 599, got ${JSON.stringify(v.status)}`);
  }
  const statusDescription = v.statusDescription ?? '';
  if (typeof statusDescription !== 'string' || !FIELD_VALUE.test(statusDescription)) throw invalid(eventType, 'response.statusDescription must be a string');
  const headers = validateHeaderList(eventType, result, inputHeaders);
  const response: EdgeResponse = { status: String(status), statusDescription, headers };
  let body = EMPTY;
  if (v.body !== undefined) {
    const encoding = v.bodyEncoding ?? 'text';
    if (typeof v.body !== 'string') throw invalid(eventType, 'response.body must be a string');
    if (encoding !== 'text' && encoding !== 'base64') throw invalid(eventType, 'response.bodyEncoding must be "text" or "base64"');
    if (encoding === 'base64' && !BASE64.test(v.body)) throw invalid(eventType, 'response.body is not valid base64');
    body = Buffer.from(v.body, encoding === 'base64' ? 'base64' : 'utf8');
  }
  // The quota covers the whole generated response, headers included: check it for every response a
  // request hook generates, and for response hooks whenever they set a body.
  if (v.body !== undefined || eventType === 'viewer-request' || eventType === 'origin-request') {
    const limit = GENERATED_RESPONSE_MAX_BYTES[eventType];
    let size = body.length;
    for (let i = 0; i < headers.length; i++) size += headers[i]!.length + 2;
    if (size > limit) throw invalid(eventType, `the response is ${size} bytes, over the ${limit}-byte limit for ${eventType}`);
  }
  return { response, body };
}

/**
 * The result's header list: the first `h` pairs of the input list (scalars.h; the isolate leaves out
 * the leading pairs the handler did not change), then the pairs it sent. Syntax, disallowed additions
 * and read-only changes are checked in one pass over what it sent (this runs on every hook call, so
 * each name is lowercased once); the kept pairs are the host's own, checked when they came in. A
 * runtime that sends no `h` (CloudFront Functions) sends every pair.
 */
function validateHeaderList(eventType: EventType, result: WireResult, input: HeaderList): HeaderList {
  const list = result.headers;
  const keptPairs = result.scalars.h === undefined ? 0 : result.scalars.h;
  if (list.length % 2 !== 0 || !Number.isInteger(keptPairs) || (keptPairs as number) < 0 || 2 * (keptPairs as number) > input.length) {
    throw invalid(eventType, 'the headers could not be read');
  }
  const kept = 2 * (keptPairs as number);
  const readOnly = READ_ONLY_HEADERS[eventType];
  let inputNames: Set<string> | undefined;
  let after: Map<string, string> | undefined;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (!TOKEN.test(name)) throw invalid(eventType, `"${name}" is not a valid header name`);
    if (!FIELD_VALUE.test(list[i + 1]!)) throw invalid(eventType, `the ${name} header has characters not allowed in a header`);
    const lower = name.toLowerCase();
    if (isDisallowedHeader(lower)) {
      inputNames ??= headerNames(input);
      if (!inputNames.has(lower)) throw invalid(eventType, `the ${lower} header cannot be added`);
    }
    if (readOnly.has(lower)) {
      // With the whole input kept, any read-only header sent besides is a change (an added value).
      if (kept === input.length) throw invalid(eventType, `the ${lower} header is read-only for ${eventType}`);
      after ??= readOnlyValues(input, kept, readOnly);
      after.set(lower, after.has(lower) ? `${after.get(lower)}\n${list[i + 1]}` : list[i + 1]!);
    }
  }
  if (kept !== input.length) {
    // Some input pairs were dropped or changed: the read-only ones must come out as they went in.
    after ??= readOnlyValues(input, kept, readOnly);
    const before = readOnlyValues(input, input.length, readOnly);
    for (const lower of readOnly) {
      if (before.get(lower) !== after.get(lower)) throw invalid(eventType, `the ${lower} header is read-only for ${eventType}`);
    }
  }
  return kept === 0 ? list : input.slice(0, kept).concat(list);
}

/** The read-only headers among the first `end` entries of `input`, each name's values joined with "\n". */
function readOnlyValues(input: HeaderList, end: number, readOnly: ReadonlySet<string>): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < end; i += 2) {
    const lower = input[i]!.toLowerCase();
    if (readOnly.has(lower)) values.set(lower, values.has(lower) ? `${values.get(lower)}\n${input[i + 1]}` : input[i + 1]!);
  }
  return values;
}

/** Origin custom headers arrive as a CloudFront header object (the rare origin-change path). */
function validateHeaderObject(value: unknown, path: string): CfHeaders {
  if (!isObject(value)) throw invalid('origin-request', `${path} must be an object`);
  const out: CfHeaders = {};
  for (const name of Object.keys(value)) {
    const list = value[name];
    if (!Array.isArray(list)) throw invalid('origin-request', `${path}["${name}"] must be an array of {key, value}`);
    if (!TOKEN.test(name) || name !== name.toLowerCase()) throw invalid('origin-request', `${path}["${name}"] is not a valid lowercase header name`);
    // CloudFront's rules for origin custom headers ("Custom headers that CloudFront can't add to
    // origin requests"), the same for a function's origin as for a configured one.
    if (isRefusedOriginCustomHeader(name)) throw invalid('origin-request', `${path}: the ${name} header cannot be added to origin requests`);
    out[name] = list.map((e: unknown, i) => {
      if (!isObject(e) || typeof e.value !== 'string' || !FIELD_VALUE.test(e.value)) throw invalid('origin-request', `${path}["${name}"][${i}].value must be a header value`);
      if (e.key !== undefined && typeof e.key !== 'string') throw invalid('origin-request', `${path}["${name}"][${i}].key must be a string`);
      // As for every header object: the name decides the header, a `key` naming another one is dropped
      // (sent in Title-Case like a missing key) rather than refused; see flatHeaders in lambda-edge.isolate.js.
      return e.key === undefined || e.key.toLowerCase() !== name ? { value: e.value } : { key: e.key, value: e.value };
    });
  }
  return out;
}

function validateRequestBody(eventType: 'viewer-request' | 'origin-request', value: unknown, before: CfRequestBody): CfRequestBody {
  if (value === undefined || !isObject(value) || value.action !== 'replace') {
    if (value !== undefined && !isObject(value)) throw invalid(eventType, 'request.body must be an object');
    return before;
  }
  const encoding = value.encoding ?? 'base64';
  if (encoding !== 'base64' && encoding !== 'text') throw invalid(eventType, 'request.body.encoding must be "base64" or "text"');
  if (typeof value.data !== 'string') throw invalid(eventType, 'request.body.data must be a string');
  if (encoding === 'base64' && !BASE64.test(value.data)) throw invalid(eventType, 'request.body.data is not valid base64');
  const size = encoding === 'base64' ? Buffer.byteLength(value.data, 'base64') : Buffer.byteLength(value.data);
  const limit = INCLUDE_BODY_MAX_BYTES[eventType];
  if (size > limit) throw invalid(eventType, `the replaced request body is ${size} bytes, over the ${limit}-byte limit`);
  return { inputTruncated: false, action: 'replace', encoding, data: value.data };
}

/**
 * An `origin.s3` a function set (AWS's content-based routing examples switch to a bucket this way).
 * With `authMethod: "none"` CloudFront fetches a public bucket over HTTPS like any web server
 * ("Lambda@Edge event structure", origin request: s3 fields domainName, authMethod, path,
 * customHeaders, region), so Verge sends it on as a custom origin on https:443. Signed access
 * (`origin-access-identity`) needs AWS credentials that Verge does not hold, and is refused.
 */
function s3AsCustom(s3: unknown, before: CfCustomOrigin): unknown {
  if (!isObject(s3)) throw invalid('origin-request', 'request.origin.s3 must be an object');
  if (s3.authMethod !== 'none') {
    throw invalid('origin-request', `request.origin.s3.authMethod ${JSON.stringify(s3.authMethod) ?? 'undefined'} is not supported: Verge cannot sign S3 requests; use "none" (a public bucket) or a custom origin`);
  }
  return { domainName: s3.domainName, protocol: 'https', port: 443, path: s3.path ?? '', customHeaders: s3.customHeaders ?? {}, readTimeout: before.readTimeout };
}

/** Whether a function's `origin.custom` is, field for field, the origin it was given (it comes back through JSON). */
function isUnchangedOrigin(c: Record<string, unknown>, before: CfCustomOrigin): boolean {
  if (
    c.domainName !== before.domainName ||
    c.protocol !== before.protocol ||
    c.port !== before.port ||
    c.path !== before.path ||
    c.readTimeout !== before.readTimeout ||
    c.keepaliveTimeout !== before.keepaliveTimeout
  ) {
    return false;
  }
  const ssl = c.sslProtocols;
  if (!Array.isArray(ssl) || ssl.length !== before.sslProtocols.length || ssl.some((p, i) => p !== before.sslProtocols[i])) return false;
  const headers = c.customHeaders;
  if (!isObject(headers)) return false;
  const names = Object.keys(headers);
  if (names.length !== Object.keys(before.customHeaders).length) return false;
  return names.every((name) => {
    const list = headers[name];
    const was = Object.hasOwn(before.customHeaders, name) ? before.customHeaders[name] : undefined;
    if (!Array.isArray(list) || was === undefined || list.length !== was.length) return false;
    return list.every((e: unknown, i) => isObject(e) && e.value === was[i]!.value && e.key === was[i]!.key && Object.keys(e).length === Object.keys(was[i]!).length);
  });
}

function validateOrigin(value: unknown, input: EdgeRequest): CfCustomOrigin {
  const before = input.origin!;
  if (value === undefined) return before;
  if (!isObject(value)) throw invalid('origin-request', 'request.origin must be an object');
  if (value.s3 !== undefined && value.custom !== undefined) throw invalid('origin-request', 'request.origin must have either custom or s3, not both');
  const c = value.s3 !== undefined ? s3AsCustom(value.s3, before) : value.custom;
  if (!isObject(c)) throw invalid('origin-request', 'request.origin.custom must be an object');
  // Most origin-request functions leave the origin alone: the one the host built and checked stands.
  if (value.s3 === undefined && isUnchangedOrigin(c, before)) return before;
  const domainName = c.domainName;
  if (typeof domainName !== 'string' || !/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(domainName)) {
    throw invalid('origin-request', 'request.origin.custom.domainName must be a host name');
  }
  const protocol = c.protocol ?? before.protocol;
  if (protocol !== 'http' && protocol !== 'https') throw invalid('origin-request', 'request.origin.custom.protocol must be "http" or "https"');
  const port = Number(c.port ?? (protocol === 'https' ? 443 : 80));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('origin-request', 'request.origin.custom.port must be from 1 to 65535');
  const path = c.path ?? '';
  if (typeof path !== 'string' || !isValidOriginPath(path)) {
    throw invalid('origin-request', 'request.origin.custom.path must be "" or a URL path that starts with "/", does not end with "/" and has no "?", "#", spaces or control characters');
  }
  const customHeaders = validateHeaderObject(c.customHeaders ?? {}, 'request.origin.custom.customHeaders');
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
