/** The parts of the Lambda@Edge event and result shapes this function uses (as in @types/aws-lambda). */
export type CloudFrontHeaders = Record<string, { key?: string; value: string }[]>;

export interface CloudFrontRequest {
  uri: string;
  querystring: string;
  method: string;
  clientIp: string;
  headers: CloudFrontHeaders;
}

export interface CloudFrontRequestEvent {
  Records: { cf: { config: { eventType: string }; request: CloudFrontRequest } }[];
}

export interface CloudFrontResultResponse {
  status: string;
  statusDescription?: string;
  headers?: CloudFrontHeaders;
  body?: string;
}
