import { describe, test, expect } from 'vitest';
import { variantKey, varyNames } from '../../src/cache/response-policy.ts';

describe('varyNames', () => {
  test('lower-cased, de-duplicated and sorted, across field lines', () => {
    expect(varyNames(['Vary', 'Accept-Language, Origin', 'vary', 'accept-language', 'VARY', ' Accept-Encoding '])).toEqual(['accept-encoding', 'accept-language', 'origin']);
  });
  test('* anywhere is *', () => {
    for (const headers of [['Vary', '*'], ['Vary', '*, *'], ['Vary', ', *'], ['Vary', '', 'Vary', '*'], ['Vary', 'Foo, *']]) expect(varyNames(headers)).toBe('*');
  });
  test('no Vary, or an empty one, varies on nothing', () => {
    expect(varyNames(['Content-Type', 'text/html'])).toEqual([]);
    expect(varyNames(['Vary', ' , '])).toEqual([]);
  });
});

describe('variantKey (RFC 9111 §4.1)', () => {
  test("'' for a response that varies on nothing", () => {
    expect(variantKey([], ['Accept-Language', 'en'])).toBe('');
  });
  test('requests with different values get different keys, so several variants live side by side', () => {
    const names = ['accept-language'];
    const en = variantKey(names, ['Accept-Language', 'en']);
    const fr = variantKey(names, ['Accept-Language', 'fr']);
    const none = variantKey(names, []);
    expect(new Set([en, fr, none]).size).toBe(3);
    expect(variantKey(names, ['accept-language', 'fr'])).toBe(fr);
  });
  test('field lines combine and whitespace is normalised', () => {
    const names = ['accept-encoding'];
    const expected = variantKey(names, ['Accept-Encoding', 'gzip, br']);
    expect(variantKey(names, ['Accept-Encoding', 'gzip', 'Accept-Encoding', 'br'])).toBe(expected);
    expect(variantKey(names, ['Accept-Encoding', '  gzip,br '])).toBe(expected);
    expect(variantKey(names, ['Accept-Encoding', 'gzip ,\t br'])).toBe(expected);
    expect(variantKey(['user-agent'], ['User-Agent', 'a   b'])).toBe(variantKey(['user-agent'], ['User-Agent', 'a b']));
  });
  test('an absent header differs from an empty one', () => {
    expect(variantKey(['x'], [])).not.toBe(variantKey(['x'], ['X', '']));
  });
  test('only the named headers count', () => {
    expect(variantKey(['x'], ['X', '1', 'Y', '1'])).toBe(variantKey(['x'], ['X', '1', 'Y', '2']));
  });
  test('responses varying on different headers never share a key, and values cannot forge one', () => {
    expect(variantKey(['a'], ['A', '1'])).not.toBe(variantKey(['b'], ['B', '1']));
    expect(variantKey(['a', 'b'], ['A', '1"],["b","2'])).not.toBe(variantKey(['a', 'b'], ['A', '1', 'B', '2']));
  });
});
