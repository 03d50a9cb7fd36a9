/**
 * The Lambda@Edge event shapes (CloudFront's "Lambda@Edge event structure"). The host keeps requests
 * and responses in this shape between hooks, so a function's result needs no translation to be the
 * next hook's input.
 */

export interface CfHeader {
  key?: string;
  value: string;
}

/** Lowercase header name → entries in order; duplicates kept as separate entries. */
export type CfHeaders = Record<string, CfHeader[]>;

export interface CfRequestBody {
  inputTruncated: boolean;
  action: 'read-only' | 'replace';
  encoding: 'base64' | 'text';
  data: string;
}

export interface CfCustomOrigin {
  customHeaders: CfHeaders;
  domainName: string;
  keepaliveTimeout: number;
  path: string;
  port: number;
  protocol: 'http' | 'https';
  readTimeout: number;
  sslProtocols: string[];
}

export interface CfRequest {
  clientIp: string;
  headers: CfHeaders;
  method: string;
  querystring: string;
  uri: string;
  body?: CfRequestBody;
  origin?: { custom: CfCustomOrigin };
}

export interface CfResponse {
  status: string;
  statusDescription: string;
  headers: CfHeaders;
  /** Set by a function to generate or replace the body. */
  body?: string;
  bodyEncoding?: 'text' | 'base64';
}

export interface CfConfig {
  distributionDomainName: string;
  distributionId: string;
  eventType: string;
  requestId: string;
}
