import { constants, createHmac, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { functionFile, startEdge, startOrigin, type TestEdge, type TestOrigin } from '../helpers/harness.ts';
import { jsonAnswer } from '../helpers/json-answer.ts';

let origin: TestOrigin;
let edge: TestEdge;

const DATA = Buffer.from('the quick brown fox — signed on the host');
const HMAC_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** Facts computed on the host with node:crypto, embedded in the function as hex and JWK. */
const FIXTURE = {
  data: DATA.toString('hex'),
  hmacKey: HMAC_KEY.toString('hex'),
  ecSpki: ec.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
  ecSig: sign('sha256', DATA, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('hex'),
  rsaJwk: rsa.publicKey.export({ format: 'jwk' }),
  rsaSpki: rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
  rsaSig: sign('sha256', DATA, rsa.privateKey).toString('hex'),
  pssSig: sign('sha256', DATA, { key: rsa.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('hex'),
  signerPkcs8: signer.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('hex'),
};

const FUNCTION = `'use strict';
const F = ${JSON.stringify(FIXTURE)};
const fromHex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (s) => fromHex([...unescape(encodeURIComponent(s))].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
const subtle = crypto.subtle;
// Imported once at the top level and reused by every invocation, as functions cache keys.
const cachedKey = subtle.importKey('raw', fromHex(F.hmacKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
let uses = 0;
const CASES = {
  async '/digest'() {
    return { sha256: hex(await subtle.digest('SHA-256', utf8('abc'))), sha512: hex(await subtle.digest({ name: 'SHA-512' }, new ArrayBuffer(0))),
      view: hex(await subtle.digest('SHA-1', new DataView(utf8('xabcx').buffer, 1, 3))) };
  },
  async '/hmac'() {
    const key = await subtle.importKey('raw', fromHex(F.hmacKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const data = fromHex(F.data);
    const mac = await subtle.sign('HMAC', key, data);
    const good = await subtle.verify('HMAC', key, mac, data);
    const tampered = new Uint8Array(mac).slice(); tampered[0] ^= 1;
    const bad = await subtle.verify('HMAC', key, tampered, data);
    return { mac: hex(mac), good, bad, type: key.type, extractable: key.extractable, algorithm: key.algorithm, usages: key.usages, isKey: key instanceof CryptoKey };
  },
  async '/cached-key'() {
    uses++;
    return { mac: hex(await subtle.sign('HMAC', await cachedKey, fromHex(F.data))), uses };
  },
  async '/ecdsa'() {
    const key = await subtle.importKey('spki', fromHex(F.ecSpki), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const alg = { name: 'ECDSA', hash: 'SHA-256' };
    const data = fromHex(F.data);
    return { good: await subtle.verify(alg, key, fromHex(F.ecSig), data), otherData: await subtle.verify(alg, key, fromHex(F.ecSig), utf8('other')) };
  },
  async '/rsa'() {
    const jwkKey = await subtle.importKey('jwk', F.rsaJwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    const pssKey = await subtle.importKey('spki', fromHex(F.rsaSpki), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
    const data = fromHex(F.data);
    return {
      pkcs1: await subtle.verify('RSASSA-PKCS1-v1_5', jwkKey, fromHex(F.rsaSig), data),
      pss: await subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, pssKey, fromHex(F.pssSig), data),
      pssWrongSalt: await subtle.verify({ name: 'RSA-PSS', saltLength: 20 }, pssKey, fromHex(F.pssSig), data),
      modulusLength: jwkKey.algorithm.modulusLength,
      publicExponent: [...jwkKey.algorithm.publicExponent],
      hash: jwkKey.algorithm.hash.name,
    };
  },
  async '/sign-pkcs8'() {
    const key = await subtle.importKey('pkcs8', fromHex(F.signerPkcs8), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
    return { sig: hex(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, fromHex(F.data))) };
  },
  async '/generate'() {
    const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const jwk = await subtle.exportKey('jwk', pair.publicKey);
    const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, utf8('x'));
    const aes = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    const iv = new Uint8Array(12);
    const sealed = await subtle.encrypt({ name: 'AES-GCM', iv }, aes, utf8('secret'));
    const opened = await subtle.decrypt({ name: 'AES-GCM', iv }, aes, sealed);
    let exportError;
    try { await subtle.exportKey('raw', aes); } catch (err) { exportError = err.name; }
    return { kty: jwk.kty, crv: jwk.crv, hasD: 'd' in jwk, verified: await subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pair.publicKey, sig, utf8('x')),
      opened: hex(opened) === hex(utf8('secret')), sealedBytes: sealed.byteLength, exportError, privateType: pair.privateKey.type };
  },
  async '/errors'() {
    const names = {};
    const attempt = async (label, fn) => { try { await fn(); names[label] = 'resolved'; } catch (err) { names[label] = err.name; } };
    await attempt('unknownAlgorithm', () => subtle.digest('MD5', new Uint8Array(1)));
    await attempt('badKeyData', () => subtle.importKey('spki', new Uint8Array([1, 2, 3]), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']));
    await attempt('wrongUsage', async () => {
      const k = await subtle.importKey('raw', fromHex(F.hmacKey), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      await subtle.sign('HMAC', k, new Uint8Array(1));
    });
    await attempt('notAKey', () => subtle.sign('HMAC', { type: 'secret' }, new Uint8Array(1)));
    await attempt('construct', () => new CryptoKey());
    const pbkdf2 = await subtle.importKey('raw', utf8('pw'), 'PBKDF2', false, ['deriveBits']);
    await attempt('pbkdf2Ok', () => subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8('s'), iterations: 1000 }, pbkdf2, 256));
    await attempt('pbkdf2TooMany', () => subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8('s'), iterations: 1e9 }, pbkdf2, 256));
    await attempt('rsaTooLarge', () => subtle.generateKey({ name: 'RSA-PSS', modulusLength: 16384, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign']));
    return names;
  },
};
exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const run = CASES[request.uri];
  if (run === undefined) return request;
  return { status: '200', body: JSON.stringify(await run()) };
};
`;

beforeAll(async () => {
  origin = await startOrigin();
  edge = await startEdge({
    origins: [{ id: 'o', url: origin.url }],
    functions: [{ name: 'subtle', code: functionFile(FUNCTION), timeoutMs: 3000 }],
    behaviors: [{ pathPattern: '*', originId: 'o', functions: { 'viewer-request': { name: 'subtle' } } }],
  });
});
afterAll(async () => {
  await edge.close();
  await origin.close();
});

const run = (path: string) => jsonAnswer(edge, path);

test('digest gives the FIPS 180-2 SHA-256 vector for "abc" and accepts any BufferSource', async () => {
  expect(await run('/digest')).toEqual({
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    sha512: 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    view: 'a9993e364706816aba3e25717850c26c9cd0d89d',
  });
});

test('HMAC sign matches node:crypto and verify round-trips; a CryptoKey shows its public facts only', async () => {
  const r = await run('/hmac');
  expect(r).toEqual({
    mac: createHmac('sha256', HMAC_KEY).update(DATA).digest('hex'),
    good: true,
    bad: false,
    type: 'secret',
    extractable: false,
    algorithm: { name: 'HMAC', hash: { name: 'SHA-256' }, length: 128 },
    usages: ['sign', 'verify'],
    isKey: true,
  });
});

test('a key imported at the top level serves every invocation', async () => {
  const expected = createHmac('sha256', HMAC_KEY).update(DATA).digest('hex');
  const first = await run('/cached-key');
  const second = await run('/cached-key');
  expect(first.mac).toBe(expected);
  expect(second.mac).toBe(expected);
  expect(second.uses).toBe((first.uses as number) + 1);
});

test('ECDSA P-256 verifies a signature made on the host (spki import)', async () => {
  expect(await run('/ecdsa')).toEqual({ good: true, otherData: false });
});

test('RSASSA-PKCS1-v1_5 (jwk import) and RSA-PSS (spki import) verify signatures made on the host', async () => {
  expect(await run('/rsa')).toEqual({ pkcs1: true, pss: true, pssWrongSalt: false, modulusLength: 2048, publicExponent: [1, 0, 1], hash: 'SHA-256' });
});

test('a pkcs8 private key signs in the function and the host verifies it', async () => {
  const r = await run('/sign-pkcs8');
  const ok = verify('sha256', DATA, { key: createPublicKey(signer.privateKey), dsaEncoding: 'ieee-p1363' }, Buffer.from(r.sig as string, 'hex'));
  expect(ok).toBe(true);
});

test('generateKey, exportKey and AES-GCM work, and a non-extractable key cannot be exported', async () => {
  expect(await run('/generate')).toEqual({
    kty: 'EC',
    crv: 'P-256',
    hasD: false,
    verified: true,
    opened: true,
    sealedBytes: 6 + 16,
    exportError: 'InvalidAccessError',
    privateType: 'private',
  });
});

test("WebCrypto's errors reach the function by name", async () => {
  expect(await run('/errors')).toEqual({
    unknownAlgorithm: 'NotSupportedError',
    badKeyData: 'DataError',
    wrongUsage: 'InvalidAccessError',
    notAKey: 'TypeError',
    construct: 'TypeError',
    // Slow jobs that could outlive the invocation on the host's thread pool are refused.
    pbkdf2Ok: 'resolved',
    pbkdf2TooMany: 'NotSupportedError',
    rsaTooLarge: 'NotSupportedError',
  });
});
