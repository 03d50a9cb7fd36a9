import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * An invalidation id shaped like CloudFront's (`I2J0I21PCUYOIK`): `I` and 13 upper-case letters or
 * digits, drawn uniformly (crypto.randomInt), about 67 bits: ids never repeat in practice.
 */
export function newInvalidationId(): string {
  let id = 'I';
  for (let i = 0; i < 13; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** Whether `id` has that shape (anything else cannot name an invalidation). */
export function isInvalidationId(id: string): boolean {
  return /^I[A-Z0-9]{13}$/.test(id);
}
