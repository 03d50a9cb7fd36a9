/**
 * Compressing responses for viewers, as CloudFront's "Compress objects automatically" does (Developer
 * Guide, "Serve compressed files"): gzip or Brotli, by the viewer's normalised Accept-Encoding, for
 * the content types CloudFront compresses, when the origin has not compressed already.
 */
import { createBrotliCompress, createGzip, constants } from 'node:zlib';
import type { Transform } from 'node:stream';
import { parseCacheControl } from './cache-directives.ts';
import type { ContentCoding } from './cache-key.ts';
import type { RawHeaders } from './variant-key.ts';

/** CloudFront's "File types that CloudFront compresses". */
export const COMPRESSIBLE_TYPES: ReadonlySet<string> = new Set([
  'application/dash+xml', 'application/eot', 'application/font', 'application/font-sfnt', 'application/javascript',
  'application/json', 'application/opentype', 'application/otf', 'application/pdf', 'application/pkcs7-mime',
  'application/protobuf', 'application/rss+xml', 'application/truetype', 'application/ttf',
  'application/vnd.apple.mpegurl', 'application/vnd.mapbox-vector-tile', 'application/vnd.ms-fontobject',
  'application/wasm', 'application/xhtml+xml', 'application/xml', 'application/x-font-opentype',
  'application/x-font-truetype', 'application/x-font-ttf', 'application/x-httpd-cgi', 'application/x-javascript',
  'application/x-mpegurl', 'application/x-opentype', 'application/x-otf', 'application/x-perl', 'application/x-ttf',
  'font/eot', 'font/opentype', 'font/otf', 'font/ttf', 'image/svg+xml',
  'text/css', 'text/csv', 'text/html', 'text/javascript', 'text/js', 'text/plain', 'text/richtext',
  'text/tab-separated-values', 'text/xml', 'text/x-component', 'text/x-java-source', 'text/x-script',
  'vnd.apple.mpegurl',
]);

/** CloudFront compresses objects of 1,000 to 10,000,000 bytes: smaller gain nothing, larger cost too much. */
export const COMPRESS_MIN_BYTES = 1_000;
export const COMPRESS_MAX_BYTES = 10_000_000;
/** CloudFront compresses only these statuses. */
const COMPRESSED_STATUSES = new Set([200, 403, 404]);

/**
 * The coding to compress a response with for a viewer whose normalised Accept-Encoding is
 * `coding`, or undefined to pass it as it is. CloudFront's conditions: a compressible
 * Content-Type; a Content-Length (without one the size is unknown) of 1,000–10,000,000 bytes; no
 * Content-Encoding (the origin compressed it already — CloudFront never compresses twice); status
 * 200, 403 or 404. And RFC 9110 §7.7: never when Cache-Control says no-transform.
 */
export function compressionFor(coding: ContentCoding, responseHeaders: RawHeaders, status: number): 'br' | 'gzip' | undefined {
  if (coding === 'identity' || !COMPRESSED_STATUSES.has(status)) return undefined;
  let contentType: string | undefined;
  let contentLength: string | undefined;
  let cacheControl: string | undefined;
  for (let i = 0; i < responseHeaders.length; i += 2) {
    switch (responseHeaders[i]!.toLowerCase()) {
      case 'content-encoding':
      case 'content-range':
        return undefined;
      case 'content-type':
        contentType ??= responseHeaders[i + 1];
        break;
      case 'content-length':
        // Two differing lengths are a framing error (RFC 9112 §6.3); do not touch such a body.
        if (contentLength !== undefined && contentLength !== responseHeaders[i + 1]!.trim()) return undefined;
        contentLength = responseHeaders[i + 1]!.trim();
        break;
      case 'cache-control':
        cacheControl = cacheControl === undefined ? responseHeaders[i + 1] : `${cacheControl}, ${responseHeaders[i + 1]}`;
        break;
    }
  }
  if (contentLength === undefined || !/^\d+$/.test(contentLength)) return undefined;
  const length = Number(contentLength);
  if (length < COMPRESS_MIN_BYTES || length > COMPRESS_MAX_BYTES) return undefined;
  if (contentType === undefined || !COMPRESSIBLE_TYPES.has(contentType.split(';')[0]!.trim().toLowerCase())) return undefined;
  if (parseCacheControl(cacheControl).has('no-transform')) return undefined;
  return coding;
}

/**
 * A streaming compressor. gzip at zlib's default level 6; Brotli at quality 5, not its default 11:
 * on text and JavaScript quality 5 compresses about as fast as gzip 6 (≈40 MB/s on one core) and
 * a few percent smaller, where 11 is some 50 times slower — too slow for a response a viewer is
 * waiting on. The mode hint (text) suits every compressible type but fonts and PDF, where it costs
 * nothing.
 */
export function createCompressor(coding: 'br' | 'gzip'): Transform {
  if (coding === 'gzip') return createGzip({ level: 6 });
  return createBrotliCompress({
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 5,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
}

/**
 * The response headers for the compressed body: Content-Encoding set, Content-Length removed (the
 * new length is known only at the end), `Vary: Accept-Encoding` added unless already named (or the
 * response varies on `*`), and a strong ETag made weak: the compressed bytes differ from those the
 * strong validator named (RFC 9110 §8.8.3; CloudFront converts it the same way).
 */
export function compressedHeaders(headers: RawHeaders, coding: 'br' | 'gzip'): string[] {
  const out: string[] = [];
  let varies = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const value = headers[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'content-encoding') continue;
    if (lower === 'vary') {
      for (const member of value.split(',')) {
        const token = member.trim().toLowerCase();
        if (token === 'accept-encoding' || token === '*') varies = true;
      }
    }
    if (lower === 'etag') {
      const etag = value.trim();
      out.push(name, etag.startsWith('W/') || etag === '' ? value : `W/${etag}`);
      continue;
    }
    out.push(name, value);
  }
  out.push('Content-Encoding', coding);
  if (!varies) out.push('Vary', 'Accept-Encoding');
  return out;
}
