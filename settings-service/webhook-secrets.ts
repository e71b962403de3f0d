// Each organization's webhook signing secret. Bodies are signed as LiveKit signs its own webhooks (an
// Authorization JWT whose `sha256` claim is the body's SHA-256), but with the organization's own secret and the
// organization id as the key, so `new WebhookReceiver(organizationId, secret)` verifies them and no customer is
// ever handed the platform's LiveKit secret. The body names its organization too: a body signed for one
// organization never verifies with another's secret and key.
//
// A secret exists only once the administrator or the organization rotates one (POST .../webhook-secret, shown
// once). Until then the organization's events wait in their queue (and expire by the retention policy); they
// are never signed with the LiveKit secret. A rotation keeps the previous secret for an overlap
// (WEBHOOK_SECRET_OVERLAP_MS): during it each delivery also carries the previous signature in
// `x-webhook-previous-authorization`, and a receiver still on the old secret that answers 401 gets the event
// again later, so rotating loses nothing.
import { createHash, randomBytes } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import type { SettingsStore } from '../settings/store/store.ts';

export const WEBHOOK_SECRET_OVERLAP_MS = 24 * 3600_000;
export const PREVIOUS_SIGNATURE_HEADER = 'x-webhook-previous-authorization';

const secretKey = (store: SettingsStore, orgId: string) => `${store.prefix}org:${orgId}:webhook-secret`;

// The previous secret moves aside and the new one becomes current in one step, so no delivery signs with neither.
const ROTATE = `
local current = redis.call('HGET', KEYS[1], 'current')
if current then redis.call('HSET', KEYS[1], 'previous', current, 'previousUntil', ARGV[3]) end
redis.call('HSET', KEYS[1], 'current', ARGV[1], 'rotatedAt', ARGV[2])
return current and 1 or 0`;

export interface RotatedSecret {
  secret: string;
  /** The key id a receiver passes to WebhookReceiver with the secret: the organization id. */
  key: string;
  /** Until when deliveries also carry the previous secret's signature (absent on the first secret). */
  previousValidUntil: string | undefined;
}

/** Makes a new secret for `orgId` and returns it; it is not shown again. */
export async function rotateWebhookSecret(store: SettingsStore, orgId: string, overlapMs = WEBHOOK_SECRET_OVERLAP_MS): Promise<RotatedSecret> {
  const secret = `whs_${randomBytes(32).toString('base64url')}`;
  const now = Date.now();
  const until = new Date(now + overlapMs).toISOString();
  const hadOne = await store.redis.eval(ROTATE, 1, secretKey(store, orgId), secret, new Date(now).toISOString(), until);
  return { secret, key: orgId, previousValidUntil: hadOne === 1 ? until : undefined };
}

export interface SigningSecrets {
  current: string;
  previous: string | undefined;
}

/** The secrets to sign with now, or undefined while the organization has none. */
export async function signingSecrets(store: SettingsStore, orgId: string, now = Date.now()): Promise<SigningSecrets | undefined> {
  const [current, previous, until] = await store.redis.hmget(secretKey(store, orgId), 'current', 'previous', 'previousUntil');
  if (!current) return undefined;
  const overlapping = previous && until && Date.parse(until) > now;
  return { current, previous: overlapping ? previous : undefined };
}

export async function signBody(body: string, key: string, secret: string): Promise<string> {
  const token = new AccessToken(key, secret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

/** The headers that sign `body` for `orgId`: Authorization with the current secret, plus the previous one's during an overlap. */
export async function signatureHeaders(body: string, orgId: string, secrets: SigningSecrets): Promise<Record<string, string>> {
  const headers: Record<string, string> = { authorization: await signBody(body, orgId, secrets.current) };
  if (secrets.previous) headers[PREVIOUS_SIGNATURE_HEADER] = await signBody(body, orgId, secrets.previous);
  return headers;
}
