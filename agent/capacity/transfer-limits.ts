// Limits on warm transfers, counted in Redis so every job process (and a job that takes a transfer over) sees
// the same count:
//   - per call: at most `perCall` transfers are begun on one call, so a caller who talks the agent into
//     dialling again and again (or keeps pressing a key) is refused with a clear answer;
//   - per organization: at most `perOrganization` transfers of one organization (settings from the store) run
//     at once, so one tenant cannot hold every line. Each running transfer holds a lease in a sorted set,
//     renewed while it runs; a crashed worker's leases run out by themselves, so its count expires.
// Every command is bounded; a limit that cannot be read refuses the transfer like a record that cannot be
// opened (nobody is put on hold without it).
import type { Redis } from 'ioredis';
import { bounded } from '../../core/bounded.ts';
import { LeasedMember } from './leased-member.ts';

/** A running transfer's place in its organization's count lasts this long unless renewed. */
export const ORGANIZATION_LEASE_MS = 10_000;
export const ORGANIZATION_RENEW_MS = 2000;
/** One check or renewal of a limit. */
export const LIMIT_TIMEOUT_MS = 2000;
/** How long a call's count is kept: longer than any call (MAX_BRIDGED_CALL_S is at most 24 h). */
const CALL_COUNT_TTL_MS = 25 * 3600 * 1000;

// KEYS[1] the call's count; ARGV[1] the limit, ARGV[2] ttl ms. The new count, or -1 at the limit.
const TAKE_FOR_CALL = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then return -1 end
count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return count
`;

// KEYS[1] the organization's leases; ARGV[1] now, ARGV[2] the limit, ARGV[3] transfer id, ARGV[4] lease until,
// ARGV[5] '1' = even at the limit (a transfer already running, carried on by another job). The count, or -1.
const TAKE_FOR_ORGANIZATION = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if ARGV[5] ~= '1' and not redis.call('ZSCORE', KEYS[1], ARGV[3]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]) - tonumber(ARGV[1]))
return redis.call('ZCARD', KEYS[1])
`;

export interface TransferLimitsOptions {
  redis: Redis;
  perCall: number;
  /** Undefined: no limit per organization. */
  perOrganization: number | undefined;
  prefix?: string;
  now?: () => number;
}

/** A running transfer's place among its organization's; release(): the transfer is over, its place is free. */
export type OrganizationSlot = Pick<LeasedMember, 'release'>;

/** What a request holds under the limits while it runs. */
export interface RequestPlaces {
  /** Its place among the organization's running transfers, when those are counted. */
  organization?: OrganizationSlot;
  /** The request did not start after all: both places are free again. */
  giveBack(): Promise<void>;
}

export class TransferLimits {
  readonly #options: TransferLimitsOptions;
  readonly #prefix: string;

  constructor(options: TransferLimitsOptions) {
    this.#options = options;
    this.#prefix = options.prefix ?? 'wt:';
  }

  get perCall(): number {
    return this.#options.perCall;
  }

  get perOrganization(): number | undefined {
    return this.#options.perOrganization;
  }

  #callKey = (room: string) => `${this.#prefix}call-transfers:${room}`;
  #organizationKey = (id: string) => `${this.#prefix}organization-transfers:${id}`;

  /** Counts one more transfer for the call in `room`; false when it already had `perCall`. */
  async takeForCall(room: string): Promise<boolean> {
    const count = Number(
      await bounded(
        this.#options.redis.eval(TAKE_FOR_CALL, 1, this.#callKey(room), String(this.#options.perCall), String(CALL_COUNT_TTL_MS)),
        LIMIT_TIMEOUT_MS,
        "counting the call's transfers",
      ),
    );
    return count > 0;
  }

  /** A transfer counted by takeForCall did not start after all (refused for another reason). */
  async giveBackForCall(room: string): Promise<void> {
    await bounded(this.#options.redis.decr(this.#callKey(room)), LIMIT_TIMEOUT_MS, "giving back a call's transfer").catch(() => undefined);
  }

  /**
   * A place among the organization's running transfers for transfer `id`, renewed until released; undefined
   * when it already runs `perOrganization`. `carriedOn`: the transfer already runs (a takeover) and keeps going.
   */
  async takeForOrganization(organizationId: string, id: string, carriedOn = false): Promise<OrganizationSlot | undefined> {
    const { redis, perOrganization } = this.#options;
    const key = this.#organizationKey(organizationId);
    const now = this.#options.now ?? Date.now;
    const take = (force: boolean) =>
      bounded(
        redis.eval(
          TAKE_FOR_ORGANIZATION,
          1,
          key,
          String(now()),
          String(perOrganization ?? Number.MAX_SAFE_INTEGER),
          id,
          String(now() + ORGANIZATION_LEASE_MS),
          force ? '1' : '0',
        ),
        LIMIT_TIMEOUT_MS,
        "counting the organization's transfers",
      );
    if (Number(await take(carriedOn)) < 0) return undefined;
    return new LeasedMember({
      redis,
      key,
      member: id,
      renew: () => take(true),
      renewMs: ORGANIZATION_RENEW_MS,
      releaseTimeoutMs: LIMIT_TIMEOUT_MS,
      what: "releasing an organization's transfer",
    });
  }

  /**
   * The places a new request takes: one of the call's transfers and, when its organization is counted, one of
   * the organization's running ones. At either limit nothing is kept; a limit that cannot be read throws, with
   * nothing kept either.
   */
  async takeForRequest(room: string, organizationId: string | undefined, id: string): Promise<RequestPlaces | 'call_limit' | 'organization_limit'> {
    if (!(await this.takeForCall(room))) return 'call_limit';
    try {
      const counted = organizationId !== undefined && this.perOrganization !== undefined;
      const slot = counted ? await this.takeForOrganization(organizationId, id) : undefined;
      if (counted && !slot) {
        await this.giveBackForCall(room);
        return 'organization_limit';
      }
      return {
        ...(slot ? { organization: slot } : {}),
        giveBack: async () => {
          await slot?.release();
          await this.giveBackForCall(room);
        },
      };
    } catch (error) {
      await this.giveBackForCall(room);
      throw error;
    }
  }

  /** How many transfers of the organization run now (expired places not counted). */
  async runningFor(organizationId: string): Promise<number> {
    const now = (this.#options.now ?? Date.now)();
    return bounded(
      this.#options.redis.zcount(this.#organizationKey(organizationId), `(${now}`, '+inf'),
      LIMIT_TIMEOUT_MS,
      "reading the organization's transfers",
    );
  }
}
