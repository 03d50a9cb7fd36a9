import { describe, test, expect } from 'vitest';
import { formatHttpDate, parseHttpDate } from '../../src/cache/http-date.ts';

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW_2025 = Date.UTC(2025, 0, 1);

describe('parseHttpDate accepts exactly the three RFC 9110 §5.6.7 forms', () => {
  test('IMF-fixdate', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(NOV_6_1994);
  });
  test('rfc850-date, with its two-digit year placed within 50 years of now', () => {
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW_2025)).toBe(NOV_6_1994);
    expect(parseHttpDate('Thursday, 18-Aug-50 02:01:18 GMT', NOW_2025)).toBe(Date.UTC(2050, 7, 18, 2, 1, 18));
    // 2076 would be more than 50 years ahead of 2025: it is 1976.
    expect(parseHttpDate('Monday, 01-Jan-76 00:00:00 GMT', NOW_2025)).toBe(Date.UTC(1976, 0, 1));
  });
  test('asctime, with a space-padded day and read as UTC (Date.parse reads it as local time)', () => {
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(NOV_6_1994);
    expect(parseHttpDate('Sun Nov 16 08:49:37 1994')).toBe(Date.UTC(1994, 10, 16, 8, 49, 37));
  });
  test('names in another case still name the same day and month', () => {
    expect(parseHttpDate('SUN, 06 NOV 1994 08:49:37 gmt')).toBe(NOV_6_1994);
  });
  test('surrounding whitespace is not part of the value', () => {
    expect(parseHttpDate('  Sun, 06 Nov 1994 08:49:37 GMT ')).toBe(NOV_6_1994);
  });
  test('a leap second is accepted', () => {
    expect(parseHttpDate('Sat, 31 Dec 2016 23:59:60 GMT')).toBe(Date.UTC(2016, 11, 31, 23, 59, 59));
  });
  test('years before 100 are not mapped to the 1900s', () => {
    expect(new Date(parseHttpDate('Mon, 01 Jan 0050 00:00:00 GMT')!).getUTCFullYear()).toBe(50);
  });
});

describe('parseHttpDate rejects what Date.parse would accept', () => {
  test.each([
    ['0'],
    ['-1'],
    ['2050'],
    ['2050-08-18T02:01:18Z'],
    ['Thu, 18 Aug 2050 02:01:18 UTC'],
    ['Thu, 18 Aug 50 02:01:18 GMT'],
    ['Thu 18 Aug 2050 02:01:18 GMT'],
    ['Thu, 18  Aug  2050 02:01:18 GMT'],
    ['Thu, 18-Aug-2050 02:01:18 GMT'],
    ['Thu, 18 Aug 2050 02.01.18 GMT'],
    ['Thu, 18 Aug 2050 2:01:18 GMT'],
    ['Thu, 18 Aug 2050 02:01:18 +0000'],
    ['Thu, 31 Feb 2050 02:01:18 GMT'],
    ['Thu, 18 Aug 2050 24:00:00 GMT'],
    ['Thu, 18 Aug 2050 02:01:18 GMT, Fri, 19 Aug 2050 02:01:18 GMT'],
    [''],
  ])('%j', (value) => {
    expect(parseHttpDate(value)).toBeUndefined();
  });
  test('undefined is no date', () => {
    expect(parseHttpDate(undefined)).toBeUndefined();
  });
});

test('formatHttpDate writes IMF-fixdate, which parseHttpDate reads back to the second', () => {
  expect(formatHttpDate(NOV_6_1994 + 999)).toBe('Sun, 06 Nov 1994 08:49:37 GMT');
  expect(parseHttpDate(formatHttpDate(NOW_2025))).toBe(NOW_2025);
});
