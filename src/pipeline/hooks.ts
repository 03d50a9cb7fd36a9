import type { EventType } from '../config/types.ts';

/**
 * The four CloudFront events in the order a request meets them (docs/lifecycle.md draws the whole path).
 * Origin events run only when the request goes to the origin (a cache miss); their output is what the
 * cache stores. Registering anything else is a config error.
 */
export const EVENT_TYPES = Object.freeze(['viewer-request', 'origin-request', 'origin-response', 'viewer-response'] as const satisfies readonly EventType[]);

export const REQUEST_EVENTS = Object.freeze(['viewer-request', 'origin-request'] as const);
export const RESPONSE_EVENTS = Object.freeze(['origin-response', 'viewer-response'] as const);

export type RequestEventType = (typeof REQUEST_EVENTS)[number];
export type ResponseEventType = (typeof RESPONSE_EVENTS)[number];
