// Bearer tokens: organization tokens are random, shown once, and stored only as their SHA-256; the
// administrator's token comes from the environment. Comparisons are constant-time, so response timing
// says nothing about how much of a guessed token was right.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export function newToken(): string {
  return `wto_${randomBytes(32).toString('base64url')}`;
}

/** Constant-time equality of two tokens (hashing first makes the lengths equal). */
export function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(Buffer.from(hashToken(given), 'hex'), Buffer.from(hashToken(expected), 'hex'));
}

/** Constant-time equality of two hex hashes of equal length. */
export function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
