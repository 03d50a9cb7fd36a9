import { VergeError } from './verge-error.ts';

/**
 * The cache store cannot do its job: its directory cannot be created or written, its index cannot be
 * opened even after starting a new one, or a purge failed. Requests never see it (a store failure on
 * the request path is a miss, logged); `verge serve` refuses to start with it, and an invalidation
 * reports it.
 */
export class CacheStoreError extends VergeError {
  constructor(message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('VERGE_ERR_CACHE_STORE', message, 'system', details, options);
  }
}
