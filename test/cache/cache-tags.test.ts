import { test, expect } from 'vitest';
import { cacheTags } from '../../src/cache/cache-tags.ts';

test('Cache-Tag is comma-separated, Surrogate-Key space-separated; both count, each tag once', () => {
  expect(cacheTags(['Cache-Tag', 'product-1, category a,,', 'surrogate-key', 'product-1  homepage\tnews', 'X-Other', 'x'])).toEqual([
    'product-1',
    'category a',
    'homepage',
    'news',
  ]);
});

test('several field lines of either header add up', () => {
  expect(cacheTags(['cache-tag', 'a', 'Cache-Tag', 'b', 'Surrogate-Key', 'c', 'SURROGATE-KEY', 'd'])).toEqual(['a', 'b', 'c', 'd']);
});

test('tags are case-sensitive', () => {
  expect(cacheTags(['Cache-Tag', 'Blog, blog'])).toEqual(['Blog', 'blog']);
});

test('no tag headers, no tags', () => {
  expect(cacheTags(['Content-Type', 'text/html', 'Cache-Tag', ' , '])).toEqual([]);
});
