import { describe, test, expect } from 'vitest';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compressedHeaders, compressionFor, createCompressor } from '../../src/cache/compression.ts';

const html = (length: number, ...extra: string[]) => ['Content-Type', 'text/html; charset=utf-8', 'Content-Length', String(length), ...extra];

describe('compressionFor follows CloudFront\'s conditions', () => {
  test('a compressible 200 of a compressible size is compressed with the viewer\'s coding', () => {
    expect(compressionFor('br', html(5000), 200)).toBe('br');
    expect(compressionFor('gzip', html(5000), 200)).toBe('gzip');
    expect(compressionFor('gzip', ['content-type', 'Application/JSON', 'content-length', '1000'], 404)).toBe('gzip');
    expect(compressionFor('gzip', ['Content-Type', 'image/svg+xml', 'Content-Length', '10000000'], 403)).toBe('gzip');
  });
  test('not for a viewer that accepts neither', () => {
    expect(compressionFor('identity', html(5000), 200)).toBeUndefined();
  });
  test('only between 1,000 and 10,000,000 bytes, and only with a Content-Length', () => {
    expect(compressionFor('br', html(999), 200)).toBeUndefined();
    expect(compressionFor('br', html(10_000_001), 200)).toBeUndefined();
    expect(compressionFor('br', ['Content-Type', 'text/html'], 200)).toBeUndefined();
    expect(compressionFor('br', ['Content-Type', 'text/html', 'Content-Length', '12ab'], 200)).toBeUndefined();
    expect(compressionFor('br', ['Content-Type', 'text/html', 'Content-Length', '5000', 'Content-Length', '6000'], 200)).toBeUndefined();
  });
  test('not when the origin compressed it already', () => {
    expect(compressionFor('br', html(5000, 'Content-Encoding', 'gzip'), 200)).toBeUndefined();
  });
  test('not when Cache-Control says no-transform, in any case or line', () => {
    expect(compressionFor('br', html(5000, 'Cache-Control', 'max-age=60', 'Cache-Control', 'No-Transform'), 200)).toBeUndefined();
  });
  test('only for status 200, 403 and 404', () => {
    for (const status of [201, 206, 301, 500]) expect(compressionFor('br', html(5000), status), String(status)).toBeUndefined();
  });
  test('only for the listed content types', () => {
    expect(compressionFor('br', ['Content-Type', 'image/png', 'Content-Length', '5000'], 200)).toBeUndefined();
    expect(compressionFor('br', ['Content-Type', 'application/octet-stream', 'Content-Length', '5000'], 200)).toBeUndefined();
    expect(compressionFor('br', ['Content-Length', '5000'], 200)).toBeUndefined();
  });
});

describe('createCompressor', () => {
  const body = Buffer.from('<p>hello, compressible world</p>\n'.repeat(500));
  const compress = async (coding: 'br' | 'gzip') => {
    const chunks: Buffer[] = [];
    await pipeline(Readable.from([body.subarray(0, 1000), body.subarray(1000)]), createCompressor(coding), async function* (source) {
      for await (const chunk of source) chunks.push(chunk as Buffer);
    });
    return Buffer.concat(chunks);
  };
  test('gzip output decompresses to the body and is smaller', async () => {
    const out = await compress('gzip');
    expect(out.length).toBeLessThan(body.length / 10);
    expect(gunzipSync(out).equals(body)).toBe(true);
  });
  test('Brotli output decompresses to the body and is smaller', async () => {
    const out = await compress('br');
    expect(out.length).toBeLessThan(body.length / 10);
    expect(brotliDecompressSync(out).equals(body)).toBe(true);
  });
});

describe('compressedHeaders', () => {
  const header = (list: readonly string[], lower: string) => list.filter((_, i) => i % 2 === 1 && list[i - 1]!.toLowerCase() === lower);
  test('sets Content-Encoding, drops Content-Length, adds Vary: Accept-Encoding', () => {
    const out = compressedHeaders(html(5000, 'X-Keep', '1'), 'br');
    expect(header(out, 'content-encoding')).toEqual(['br']);
    expect(header(out, 'content-length')).toEqual([]);
    expect(header(out, 'vary')).toEqual(['Accept-Encoding']);
    expect(header(out, 'x-keep')).toEqual(['1']);
  });
  test('Vary: Accept-Encoding is added once, not when already named or when Vary is *', () => {
    expect(header(compressedHeaders(html(5000, 'Vary', 'Origin, accept-encoding'), 'gzip'), 'vary')).toEqual(['Origin, accept-encoding']);
    expect(header(compressedHeaders(html(5000, 'Vary', 'Origin'), 'gzip'), 'vary')).toEqual(['Origin', 'Accept-Encoding']);
    expect(header(compressedHeaders(html(5000, 'Vary', '*'), 'gzip'), 'vary')).toEqual(['*']);
  });
  test('a strong ETag becomes weak; a weak one stays as it is', () => {
    expect(header(compressedHeaders(html(5000, 'ETag', '"abc"'), 'gzip'), 'etag')).toEqual(['W/"abc"']);
    expect(header(compressedHeaders(html(5000, 'ETag', 'W/"abc"'), 'gzip'), 'etag')).toEqual(['W/"abc"']);
  });
});
