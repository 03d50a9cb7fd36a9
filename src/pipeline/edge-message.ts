import type { HeaderList } from './header-list.ts';
import type { CfCustomOrigin, CfRequestBody } from './cf-types.ts';

/** A request as the host keeps it between hooks: the Lambda@Edge request's fields, headers flat. */
export interface EdgeRequest {
  clientIp: string;
  method: string;
  uri: string;
  /** Without the leading "?"; "" when absent. */
  querystring: string;
  headers: HeaderList;
  /** Present only in events whose association asked for it (includeBody). */
  body?: CfRequestBody;
  /** Present from origin-request on: where the request goes. */
  origin?: CfCustomOrigin;
}

/** A response as the host keeps it between hooks. */
export interface EdgeResponse {
  /** A string, as in the Lambda@Edge event. */
  status: string;
  statusDescription: string;
  headers: HeaderList;
}
