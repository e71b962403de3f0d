// Page sessions, token revocation and sign-in attempt counts, in Redis next to the rest of the store.
//
// The page's cookie carries a random session id (256 bits), never a token. Redis keeps, under the SHA-256
// of that id, who signed in and the SHA-256 of the token they signed in with; the key expires on its own
// (absolute lifetime, not renewed by use). A session is valid only while the token it came from still is:
// an organization token's key must still exist (revoking it ends every session made from it at once), and
// an administrator session's token hash must still be that of SETTINGS_ADMIN_TOKEN (changing the variable
// ends them all). Nothing here can tell a session id from the key it is stored under.
import { randomBytes } from 'node:crypto';
import type { Principal } from './principal.ts';
import { hashToken, sameHash } from '../settings/store/tokens.ts';
import type { SettingsStore } from '../settings/store/store.ts';

/** The shape of a session id: 32 random bytes in base64url. Anything else is not looked up at all. */
export const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** The id by which a token can be revoked: the first 16 hex digits of its SHA-256 (not a secret). */
export const TOKEN_ID = /^[0-9a-f]{16}$/;

export const tokenIdOf = (tokenHash: string) => tokenHash.slice(0, 16);

export async function createSession(store: SettingsStore, principal: Principal, token: string, ttlSeconds: number): Promise<string> {
  const sessionId = randomBytes(32).toString('base64url');
  const key = store.keys.session(hashToken(sessionId));
  const fields = {
    kind: principal.kind,
    organizationId: principal.kind === 'organization' ? principal.organizationId : '',
    tokenHash: hashToken(token),
    createdAt: new Date().toISOString(),
  };
  await store.redis.multi().hset(key, fields).expire(key, ttlSeconds).exec();
  return sessionId;
}

/** Who a session belongs to, or undefined when it is malformed, unknown, expired or its token is gone. */
export async function sessionPrincipal(store: SettingsStore, sessionId: string, adminToken: string): Promise<Principal | undefined> {
  if (!SESSION_ID.test(sessionId)) return undefined;
  const [kind, organizationId, tokenHash] = await store.redis.hmget(store.keys.session(hashToken(sessionId)), 'kind', 'organizationId', 'tokenHash');
  if (!tokenHash) return undefined;
  if (kind === 'admin') return sameHash(tokenHash, hashToken(adminToken)) ? { kind: 'admin' } : undefined;
  if (kind !== 'organization' || !organizationId) return undefined;
  const [owner, stored] = await store.redis.hmget(store.keys.token(tokenHash), 'organizationId', 'hash');
  if (owner !== organizationId || !stored || !sameHash(stored, tokenHash)) return undefined;
  return { kind: 'organization', organizationId };
}

export async function deleteSession(store: SettingsStore, sessionId: string): Promise<void> {
  if (SESSION_ID.test(sessionId)) await store.redis.del(store.keys.session(hashToken(sessionId)));
}

/**
 * Revokes an organization's tokens (all of them, or the one whose id is `tokenId`); every session made
 * from them ends with them. Returns the ids revoked. The administrator does this rarely: a scan is fine.
 */
export async function revokeTokens(store: SettingsStore, organizationId: string, tokenId?: string): Promise<string[]> {
  const match = store.keys.token(tokenId ? `${tokenId}*` : '*');
  const revoked: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await store.redis.scan(cursor, 'MATCH', match, 'COUNT', 500);
    for (const key of keys) {
      const [owner, hash] = await store.redis.hmget(key, 'organizationId', 'hash');
      if (owner !== organizationId || !hash) continue;
      await store.redis.del(key);
      revoked.push(tokenIdOf(hash));
    }
    cursor = next;
  } while (cursor !== '0');
  return revoked;
}

export interface AttemptLimit {
  scope: 'address' | 'agent';
  value: string;
  perMinute: number;
}

/**
 * Counts one sign-in attempt against each limit (a fixed one-minute window per key). Returns the seconds
 * to wait when any limit is exceeded, else undefined. Every attempt counts, successful or not.
 */
export async function countSignInAttempt(store: SettingsStore, limits: AttemptLimit[]): Promise<number | undefined> {
  const tx = store.redis.multi();
  for (const { scope, value } of limits) {
    const key = store.keys.signInAttempts(scope, value);
    tx.set(key, 0, 'PX', 60_000, 'NX').incr(key).pttl(key);
  }
  const results = await tx.exec();
  if (!results) throw new Error('the sign-in count was aborted');
  let waitSeconds: number | undefined;
  limits.forEach((limit, i) => {
    const count = Number(results[i * 3 + 1]?.[1]);
    const ttlMs = Number(results[i * 3 + 2]?.[1]);
    if (count > limit.perMinute) waitSeconds = Math.max(waitSeconds ?? 0, Math.max(1, Math.ceil(ttlMs / 1000)));
  });
  return waitSeconds;
}
