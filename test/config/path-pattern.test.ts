import { describe, test, expect } from 'vitest';
import { compilePathPattern, pathPatternProblem } from '../../src/config/path-pattern.ts';

describe('compilePathPattern', () => {
  // [pattern, uri path, matches?]
  const table: ReadonlyArray<readonly [string, string, boolean]> = [
    ['*', '/', true],
    ['*', '/anything/at/all.html', true],
    ['/images/*', '/images/', true],
    ['/images/*', '/images/a/b/c.png', true],
    ['/images/*', '/images', false],
    ['/images/*', '/Images/a.png', false],
    ['/images/*.jpg', '/images/a/b.jpg', true],
    ['/images/*.jpg', '/images/.jpg', true],
    ['/images/*.jpg', '/images/a.jpeg', false],
    ['/*.jpg', '/a.jpg', true],
    ['/*.jpg', '/a.JPG', false],
    ['/api/*/users', '/api/v1/users', true],
    ['/api/*/users', '/api/v1/v2/users', true],
    ['/api/*/users', '/api/users', false],
    ['/api/*/users', '/api/v1/users/1', false],
    ['/a*b*c', '/abc', true],
    ['/a*b*c', '/axxbyyc', true],
    ['/a*b*c', '/axxcyyb', false],
    ['/a*b*c', '/ab', false],
    ['/file?.txt', '/file1.txt', true],
    ['/file?.txt', '/file.txt', false],
    ['/file?.txt', '/file12.txt', false],
    ['/v?/*', '/v2/anything', true],
    ['/v?/*', '/v/anything', false],
    ['/*?', '/', false],
    ['/*?', '/x', true],
    ['/a?c*', '/abcdef', true],
    ['/a?c*x?z', '/abcdefxyz', true],
    ['/a?c*x?z', '/abcdefxz', false],
    ['/exact.html', '/exact.html', true],
    ['/exact.html', '/exact.html/', false],
    ['/exact.html', '/exactxhtml', false],
    ['/a+b', '/a+b', true],
    ['/a+b', '/aab', false],
    ['/$price', '/$price', true],
    ['/x.y*', '/x.yz', true],
    ['/x.y*', '/xzyz', false],
    ['/a**b', '/a/b', true],
    ['/Docs/*', '/docs/intro', false],
    ['images/*', '/images/a.png', true],
    ['images/*', 'images/a.png', false],
  ];

  test.each(table)('%s against %s gives %s', (pattern, uriPath, expected) => {
    expect(compilePathPattern(pattern)(uriPath)).toBe(expected);
  });

  test('a pattern with many wildcards stays fast on a long hostile path', () => {
    const matches = compilePathPattern('/*a*a*a*a*a*a*b');
    const hostile = `/${'a'.repeat(8000)}`;
    const started = performance.now();
    expect(matches(hostile)).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});

describe('pathPatternProblem', () => {
  test('accepts patterns that start with a slash and the lone catch-all', () => {
    for (const pattern of ['*', '/', '/api/*', "/a_b-c.d*$~\"'@:+?&/x"]) expect(pathPatternProblem(pattern)).toBeUndefined();
  });

  test('a pattern without a leading slash is rejected with the fix spelled out', () => {
    expect(pathPatternProblem('images/*')).toBe('must start with "/" (write "/images/*") or be exactly "*"');
  });

  test('characters CloudFront does not allow are named', () => {
    expect(pathPatternProblem('/a b%')).toMatch(/contains " ", "%"/);
  });

  test('a pattern longer than 255 characters is rejected', () => {
    expect(pathPatternProblem(`/${'a'.repeat(254)}`)).toBeUndefined();
    expect(pathPatternProblem(`/${'a'.repeat(255)}`)).toMatch(/at most 255/);
  });

  test('an empty pattern is rejected', () => {
    expect(pathPatternProblem('')).toBe('must not be empty');
  });
});
