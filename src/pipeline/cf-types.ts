/**
 * Pieces of the Lambda@Edge event structure the host handles as objects: the request body with
 * includeBody and the custom origin of origin-request events. Requests and responses themselves are
 * EdgeRequest / EdgeResponse (edge-message.ts) on the host, with flat header lists; the full event
 * objects are built inside the isolate.
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
