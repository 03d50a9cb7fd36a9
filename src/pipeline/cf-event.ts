import type { EventType } from '../config/types.ts';
import type { CfRequest, CfResponse } from './cf-types.ts';

export interface DistributionInfo {
  readonly id: string;
  readonly domainName: string;
}

/**
 * The Lambda@Edge event `{Records: [{cf: {config, request, response?}}]}`, serialised. It crosses into
 * the isolate as one string (parsed there by the bootstrap), which is far cheaper than copying the
 * nested object graph through isolated-vm's structured clone.
 */
export function serialiseEvent(
  eventType: EventType,
  distribution: DistributionInfo,
  requestId: string,
  request: CfRequest,
  response?: CfResponse,
): string {
  const config = { distributionDomainName: distribution.domainName, distributionId: distribution.id, eventType, requestId };
  const cf = response === undefined ? { config, request } : { config, request, response };
  return JSON.stringify({ Records: [{ cf }] });
}

