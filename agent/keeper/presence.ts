// Hang-ups of the calls the server carries (Cloud): nothing of ours is in the caller's room to hear one, so the
// keeper asks RoomService. Asking each call's room every second would cost a request per call per second, which
// a hosted server's rate limits would refuse long before a worker is full; instead one ListRooms of every such
// room every PRESENCE_POLL_MS gives their participant counts, and only a room whose count changed (or that is
// gone) is looked into: who is still there (onTheLine). Every call is also looked into every FULL_LOOK_MS
// whatever its count, since a hang-up and someone else joining (a recorder) within one poll leave the count as
// it was. Without counts (a RoomApi that has none, or ListRooms failing) every call is looked into each time.
import type { RoomApi } from '../livekit/room-api.ts';

export const PRESENCE_POLL_MS = 1000;
export const FULL_LOOK_MS = 15_000;

interface Watched {
  room: string;
  /** Looks into the call (and ends it if someone left); never throws. */
  look(): Promise<void>;
  count?: number | undefined;
  lookedAt: number;
}

export class PresenceWatch {
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(
    private readonly api: Pick<RoomApi, 'participantCounts'>,
    private readonly now: () => number = Date.now,
  ) {}

  add(id: string, room: string, look: () => Promise<void>): void {
    this.#watched.set(id, { room, look, lookedAt: -Infinity });
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.poll(), PRESENCE_POLL_MS);
    this.#timer.unref();
  }

  remove(id: string): void {
    this.#watched.delete(id);
    if (this.#watched.size === 0) this.close();
  }

  close(): void {
    this.#watched.clear();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One poll (the timer's; also for tests): the counts, then a look into each call that needs one. */
  async poll(): Promise<void> {
    if (this.#polling || this.#watched.size === 0) return;
    this.#polling = true;
    try {
      const watched = [...this.#watched.values()];
      const rooms = [...new Set(watched.map((w) => w.room))];
      const counts = await this.api.participantCounts?.(rooms).catch(() => undefined);
      const now = this.now();
      await Promise.all(
        watched.map(async (w) => {
          const count = counts?.get(w.room);
          if (counts && count !== undefined && count === w.count && now - w.lookedAt < FULL_LOOK_MS) return;
          w.lookedAt = now;
          w.count = count;
          await w.look();
        }),
      );
    } finally {
      this.#polling = false;
    }
  }
}
