// One mechanism serves both counts kept in Redis sorted sets (carrying.ts, transfer-limits.ts): a member whose
// score is the time its lease runs out, renewed on a timer while its owner lives. Whoever counts drops the
// members whose score has passed, so a process that dies stops counting within one lease without anyone
// releasing it; an owner that ends releases its member at once.
import type { Redis } from 'ioredis';
import { bounded } from '../../core/bounded.ts';

export interface LeasedMemberOptions {
  redis: Redis;
  /** The sorted set. */
  key: string;
  member: string;
  /** Writes the member's new lease (its score); a failure is ignored: the lease only runs out sooner. */
  renew: () => Promise<unknown>;
  renewMs: number;
  /** Releasing must never hold the end of what it counted: a Redis that does not answer is left behind. */
  releaseTimeoutMs: number;
  /** What releasing is, for the timeout's message. */
  what: string;
}

/** A member kept alive from construction on (the first lease is the caller's to write) until released. */
export class LeasedMember {
  readonly #options: LeasedMemberOptions;
  readonly #timer: NodeJS.Timeout;
  #released: Promise<void> | undefined;

  constructor(options: LeasedMemberOptions) {
    this.#options = options;
    // Redis away: the renewal fails and the lease may lapse meanwhile; what it counts goes on all the same.
    this.#timer = setInterval(() => void options.renew().catch(() => undefined), options.renewMs);
    this.#timer.unref();
  }

  /** Stops renewing and removes the member. Idempotent; never throws. */
  release(): Promise<void> {
    this.#released ??= this.#remove();
    return this.#released;
  }

  async #remove(): Promise<void> {
    clearInterval(this.#timer);
    const { redis, key, member, releaseTimeoutMs, what } = this.#options;
    // Not removed: the lease runs out by itself.
    await bounded(redis.zrem(key, member), releaseTimeoutMs, what).catch(() => undefined);
  }
}
