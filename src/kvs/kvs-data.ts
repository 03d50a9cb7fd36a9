import { Buffer } from 'node:buffer';
import { KVS_MAX_KEY_BYTES, KVS_MAX_STORE_BYTES, KVS_MAX_VALUE_BYTES } from '../config/cloudfront-functions-limits.ts';

/** One loaded key value store: its entries and what `meta()` reports. */
export interface KeyValueStoreData {
  readonly entries: ReadonlyMap<string, string>;
  /** JSON of `meta()`: { creationDateTime, lastUpdatedDateTime, keyCount }, made once per load. */
  readonly metaJson: string;
}

/**
 * Parses a store file in CloudFront's import format (`{"data": [{"key": "k", "value": "v"}]}`, the
 * format `CreateKeyValueStore` imports from S3) and applies CloudFront's quotas: key at most 512
 * bytes, value at most 1 KB, the whole store at most 5 MB. Throws an Error naming the entry at fault.
 */
export function parseKeyValueStore(text: string, created: Date, updated: Date): KeyValueStoreData {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`invalid JSON: ${(err as Error).message}`);
  }
  const data = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>).data : undefined;
  if (!Array.isArray(data)) throw new Error('expected {"data": [{"key": …, "value": …}, …]}');
  const entries = new Map<string, string>();
  let total = 0;
  data.forEach((item: unknown, i) => {
    const key = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).key : undefined;
    const value = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).value : undefined;
    if (typeof key !== 'string' || key === '') throw new Error(`data[${i}].key must be a non-empty string`);
    if (typeof value !== 'string') throw new Error(`data[${i}].value must be a string`);
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(value);
    if (keyBytes > KVS_MAX_KEY_BYTES) throw new Error(`data[${i}].key is ${keyBytes} bytes, over the ${KVS_MAX_KEY_BYTES}-byte limit`);
    if (valueBytes > KVS_MAX_VALUE_BYTES) throw new Error(`data[${i}].value is ${valueBytes} bytes, over the ${KVS_MAX_VALUE_BYTES}-byte limit`);
    if (entries.has(key)) throw new Error(`data[${i}].key ${JSON.stringify(key)} appears twice`);
    total += keyBytes + valueBytes;
    if (total > KVS_MAX_STORE_BYTES) throw new Error(`the store is over the ${KVS_MAX_STORE_BYTES}-byte (5 MB) limit`);
    entries.set(key, value);
  });
  return {
    entries,
    metaJson: JSON.stringify({ creationDateTime: created.toISOString(), lastUpdatedDateTime: updated.toISOString(), keyCount: entries.size }),
  };
}
