import { describe, test, expect } from 'vitest';
import { deltaSeconds, fieldNames, parseCacheControl, parseTargetedField } from '../../src/cache/cache-directives.ts';

const entries = (m: ReadonlyMap<string, string | true> | undefined) => (m === undefined ? undefined : Object.fromEntries(m));

describe('parseCacheControl', () => {
  test('directive names are case-insensitive and come out lower-cased', () => {
    expect(entries(parseCacheControl('MaX-AgE=60, No-StOrE'))).toEqual({ 'max-age': '60', 'no-store': true });
  });
  test('a quoted value keeps its commas and loses its quotes and escapes', () => {
    expect(entries(parseCacheControl('no-cache="a, b", private="x\\"y"'))).toEqual({ 'no-cache': 'a, b', private: 'x"y' });
  });
  test('"max-age" inside a quoted string is not a directive', () => {
    expect(entries(parseCacheControl('extension="max-age=100", max-age=1'))).toEqual({ extension: 'max-age=100', 'max-age': '1' });
    expect(entries(parseCacheControl('max-age=1, extension="max-age=100"'))).toEqual({ 'max-age': '1', extension: 'max-age=100' });
  });
  test('the first occurrence of a repeated directive counts (RFC 9111 §4.2.1)', () => {
    expect(parseCacheControl('max-age=1800, max-age=1').get('max-age')).toBe('1800');
    expect(parseCacheControl('max-age=1\nmax-age=1800').get('max-age')).toBe('1');
  });
  test('a member with whitespace around "=" is dropped, the others kept', () => {
    expect(entries(parseCacheControl('max-age =100, public'))).toEqual({ public: true });
    expect(entries(parseCacheControl('max-age= 100, public'))).toEqual({ public: true });
  });
  test('an unterminated quoted string is dropped', () => {
    expect(entries(parseCacheControl('public, no-cache="a'))).toEqual({ public: true });
  });
  test('empty members and stray whitespace are skipped', () => {
    expect(entries(parseCacheControl(' , public ,, max-age=5 '))).toEqual({ public: true, 'max-age': '5' });
  });
  test('no field is no directive', () => {
    expect(parseCacheControl(undefined).size).toBe(0);
  });
});

describe('deltaSeconds', () => {
  test('digits only, leading zeros allowed', () => {
    expect(deltaSeconds('003600')).toBe(3600);
    expect(deltaSeconds('0')).toBe(0);
  });
  test('anything else is no value', () => {
    for (const v of ['-1', '1.5', '3600.0', 'a100', '100a', "'3600'", '', ' 1']) expect(deltaSeconds(v)).toBeUndefined();
    expect(deltaSeconds(true)).toBeUndefined();
    expect(deltaSeconds(undefined)).toBeUndefined();
  });
  test('values past 2^31 are taken as 2^31 (RFC 9111 §1.2.2)', () => {
    expect(deltaSeconds('99999999999')).toBe(2_147_483_648);
  });
});

test('fieldNames lists a qualified directive\'s fields, lower-cased', () => {
  expect(fieldNames('Set-Cookie, X-A')).toEqual(['set-cookie', 'x-a']);
  expect(fieldNames(true)).toEqual([]);
});

describe('parseTargetedField (CDN-Cache-Control as an RFC 8941 Dictionary)', () => {
  test('integers, booleans and strings', () => {
    expect(entries(parseTargetedField('max-age=60, must-revalidate, no-cache="x"'))).toEqual({ 'max-age': '60', 'must-revalidate': true, 'no-cache': 'x' });
  });
  test('field lines joined with a newline combine like one line', () => {
    expect(entries(parseTargetedField('max-age=60\nstale-if-error=30'))).toEqual({ 'max-age': '60', 'stale-if-error': '30' });
  });
  test('a field that is not a Dictionary is ignored as a whole', () => {
    expect(parseTargetedField('max-age=10000, &&&&&')).toBeUndefined();
    expect(parseTargetedField('max-age =100')).toBeUndefined();
    expect(parseTargetedField('MaX-AgE=100')).toBeUndefined();
  });
  test('a known directive of the wrong type makes the whole field ignored', () => {
    expect(parseTargetedField('max-age="10000"')).toBeUndefined();
    expect(parseTargetedField('max-age=-1')).toBeUndefined();
    expect(parseTargetedField('max-age=1.5')).toBeUndefined();
    expect(parseTargetedField('no-store=1')).toBeUndefined();
  });
  test('empty or absent is no field', () => {
    expect(parseTargetedField('')).toBeUndefined();
    expect(parseTargetedField(undefined)).toBeUndefined();
  });
  test('a false boolean is the directive absent', () => {
    expect(entries(parseTargetedField('no-store=?0, max-age=5'))).toEqual({ 'max-age': '5' });
  });
});
