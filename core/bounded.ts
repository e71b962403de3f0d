// Every effect a transfer waits on has a bound, named here with its unit: a publish, a join, a session close
// or a disconnect that never answers must not hold a caller on hold (or a person on a dead line) for ever.
// The server's own timeouts are not enough: a lost WebSocket answers nothing at all.

/** Publishing one audio track (hold music, a relay) and seeing it accepted by the server. */
export const PUBLISH_TIMEOUT_MS = 5000;
/** Joining a room as the worker (consultation room, Cloud hold room). */
export const JOIN_TIMEOUT_MS = 10_000;
/** Starting or closing an agent session (the briefing). */
export const SESSION_START_TIMEOUT_MS = 10_000;
export const SESSION_CLOSE_TIMEOUT_MS = 5000;
/** Leaving a room. */
export const DISCONNECT_TIMEOUT_MS = 5000;
/** One RoomService call (create or delete a room, remove or move a participant). */
export const ROOM_API_TIMEOUT_MS = 10_000;
/** Taking a published track down again. */
export const UNPUBLISH_TIMEOUT_MS = 5000;

export class EffectTimeout extends Error {
  constructor(
    readonly what: string,
    readonly ms: number,
  ) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'EffectTimeout';
  }
}

/**
 * `work`, or an {@link EffectTimeout} after `ms`. Work that finishes after its bound is not wanted any more:
 * `late` receives its value so whatever it built (a published track, a joined room) can be taken down.
 */
export async function bounded<T>(work: Promise<T>, ms: number, what: string, late?: (value: T) => unknown): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new EffectTimeout(what, ms));
    }, ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    work.then(
      (value) => {
        if (timedOut && late)
          void Promise.resolve()
            .then(() => late(value))
            .catch(() => undefined);
      },
      () => undefined,
    );
  }
}

/** Like {@link bounded}, for clean-up: never throws; a failure or a timeout only means it is given up on. */
export async function settleWithin(work: Promise<unknown> | undefined, ms: number): Promise<void> {
  if (!work) return;
  await bounded(work, ms, 'clean-up').catch(() => undefined);
}
