import type { OriginConfig } from '../config/types.ts';
import { invalid } from './cf-result.ts';
import { isRefusedOriginCustomHeader, isValidOriginPath } from './header-rules.ts';

// CloudFront Functions' "Helper methods for origin modification" (viewer-request only):
// `cf.selectRequestOriginById(id)` sends the request to another origin of the distribution;
// `cf.updateRequestOrigin({...})` changes the current origin's settings for this request, any field
// left out keeping the current origin's value. The isolate only records the call; it is checked and
// applied here, on the host.

/** A validated origin change. Fields Verge has no use for (originAccessControlConfig, originShield, connectionAttempts) are accepted and ignored. */
export type CffOriginChange =
  | { readonly kind: 'select'; readonly originId: string }
  | {
      readonly kind: 'update';
      readonly domainName?: string;
      readonly originPath?: string;
      readonly customHeaders?: Readonly<Record<string, string>>;
      readonly port?: number;
      readonly protocol?: 'http' | 'https';
      readonly readTimeoutMs?: number;
      readonly connectTimeoutMs?: number;
    };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const HOST = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]+\]$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const fail = (message: string) => invalid('viewer-request', message);

/** Checks what the function asked for (the `co` field of the wire result); undefined when it asked nothing. */
export function validateCffOriginChange(value: unknown): CffOriginChange | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fail('the origin change could not be read');
  if (value.select !== undefined) {
    if (typeof value.select !== 'string' || value.select === '') throw fail('selectRequestOriginById needs an origin id');
    return { kind: 'select', originId: value.select };
  }
  const u = value.update;
  if (!isObject(u)) throw fail('updateRequestOrigin needs an object');
  const change: { -readonly [K in keyof Extract<CffOriginChange, { kind: 'update' }>]: Extract<CffOriginChange, { kind: 'update' }>[K] } = { kind: 'update' };
  if (u.domainName !== undefined) {
    if (typeof u.domainName !== 'string' || !HOST.test(u.domainName)) throw fail('updateRequestOrigin: domainName must be a host name');
    change.domainName = u.domainName;
  }
  if (u.originPath !== undefined) {
    const p = u.originPath;
    if (typeof p !== 'string' || !isValidOriginPath(p)) throw fail('updateRequestOrigin: originPath must be "" or a URL path that starts with "/", does not end with "/" and has no "?", "#", spaces or control characters');
    change.originPath = p;
  }
  if (u.customHeaders !== undefined) {
    if (!isObject(u.customHeaders)) throw fail('updateRequestOrigin: customHeaders must be an object of header names to values');
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(u.customHeaders)) {
      if (!TOKEN.test(name)) throw fail(`updateRequestOrigin: customHeaders: "${name}" is not a valid header name`);
      // The rules for an origin's custom headers (CloudFront's list) and for headers a function may add.
      if (isRefusedOriginCustomHeader(name.toLowerCase())) throw fail(`updateRequestOrigin: customHeaders: the ${name} header cannot be added to origin requests`);
      if (typeof v !== 'string' || !FIELD_VALUE.test(v)) throw fail(`updateRequestOrigin: customHeaders["${name}"] must be a header value`);
      headers[name] = v;
    }
    change.customHeaders = headers;
  }
  if (u.timeouts !== undefined) {
    if (!isObject(u.timeouts)) throw fail('updateRequestOrigin: timeouts must be an object');
    const { readTimeout, connectionTimeout } = u.timeouts;
    if (readTimeout !== undefined) {
      if (!Number.isInteger(readTimeout) || (readTimeout as number) < 1 || (readTimeout as number) > 180) throw fail('updateRequestOrigin: timeouts.readTimeout must be 1 to 180 seconds');
      change.readTimeoutMs = (readTimeout as number) * 1000;
    }
    if (connectionTimeout !== undefined) {
      if (!Number.isInteger(connectionTimeout) || (connectionTimeout as number) < 1 || (connectionTimeout as number) > 10) throw fail('updateRequestOrigin: timeouts.connectionTimeout must be 1 to 10 seconds');
      change.connectTimeoutMs = (connectionTimeout as number) * 1000;
    }
  }
  if (u.customOriginConfig !== undefined) {
    const c = u.customOriginConfig;
    if (!isObject(c)) throw fail('updateRequestOrigin: customOriginConfig must be an object');
    if (c.port !== undefined) {
      if (!Number.isInteger(c.port) || (c.port as number) < 1 || (c.port as number) > 65535) throw fail('updateRequestOrigin: customOriginConfig.port must be from 1 to 65535');
      change.port = c.port as number;
    }
    if (c.protocol !== undefined) {
      if (c.protocol !== 'http' && c.protocol !== 'https') throw fail('updateRequestOrigin: customOriginConfig.protocol must be "http" or "https"');
      change.protocol = c.protocol;
    }
  }
  return change;
}

/** The origin this request goes to after the change. An unknown origin id is the function's error (502). */
export function applyCffOriginChange(change: CffOriginChange, current: OriginConfig, originsById: ReadonlyMap<string, OriginConfig>): OriginConfig {
  if (change.kind === 'select') {
    const selected = originsById.get(change.originId);
    if (selected === undefined) throw fail(`selectRequestOriginById: no origin has id ${JSON.stringify(change.originId)} (defined: ${[...originsById.keys()].join(', ')})`);
    return selected;
  }
  const protocol = change.protocol ?? current.protocol;
  // A new protocol without a port takes that protocol's default port, as a new origin would.
  const port = change.port ?? (change.protocol !== undefined && change.protocol !== current.protocol ? (protocol === 'https' ? 443 : 80) : current.port);
  const domainName = change.domainName ?? current.domainName;
  const path = change.originPath ?? current.path;
  return {
    id: current.id,
    protocol,
    domainName,
    port,
    path,
    url: `${protocol}://${domainName.includes(':') && !domainName.startsWith('[') ? `[${domainName}]` : domainName}:${port}${path}`,
    connectTimeoutMs: change.connectTimeoutMs ?? current.connectTimeoutMs,
    readTimeoutMs: change.readTimeoutMs ?? current.readTimeoutMs,
    customHeaders: change.customHeaders ?? current.customHeaders,
  };
}
