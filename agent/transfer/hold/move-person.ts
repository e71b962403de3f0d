// One participant moved between rooms on Cloud, idempotently. An error from MoveParticipant does not say the
// move failed: the server SDK replays a request that timed out or got a 5xx, so the first try may have moved
// them and the replay then answers "not found". After any error the server is asked where they are, in both
// rooms, and the move carries on from there: there already (done), here (try again), in neither (they hung up).
import { bounded, ROOM_API_TIMEOUT_MS } from '../../../core/bounded.ts';
import { isNotImplemented, type RoomApi } from '../../livekit/room-api.ts';

/** How many times a move is tried while the participant is still where it started. */
export const MOVE_ATTEMPTS = 3;

export interface Move {
  identity: string;
  from: string;
  to: string;
}

/** Moved (now, or by an earlier try); gone (hung up); or still in `from`, with the last error. */
export type MoveResult = { where: 'moved' } | { where: 'gone' } | { where: 'stayed'; error: unknown };

export async function moveParticipant(api: RoomApi, move: Move, attempts = MOVE_ATTEMPTS): Promise<MoveResult> {
  let error: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await api.moveParticipant(move.from, move.identity, move.to);
      return { where: 'moved' };
    } catch (failure) {
      error = failure;
      // A server that cannot move anyone: no replay changes that.
      if (isNotImplemented(failure)) return { where: 'stayed', error };
    }
    const now = await locate(api, move);
    if (now === 'to') return { where: 'moved' };
    if (now === 'neither') return { where: 'gone' };
    if (attempt < attempts) await pause(attempt);
  }
  return { where: 'stayed', error };
}

/** Where the participant is, by identity (a move gives them a new SID); 'unknown' when the server cannot say. */
export async function locate(api: RoomApi, move: Move): Promise<'from' | 'to' | 'neither' | 'unknown'> {
  const ask = api.participantIdentities;
  if (!ask) return 'unknown';
  const list = (room: string) => bounded(ask.call(api, room), ROOM_API_TIMEOUT_MS, `listing ${room}`).catch(() => undefined);
  const [inFrom, inTo] = await Promise.all([list(move.from), list(move.to)]);
  const has = (who: string[] | 'no_room' | undefined) => who !== undefined && who !== 'no_room' && who.includes(move.identity);
  if (has(inTo)) return 'to';
  if (has(inFrom)) return 'from';
  return inFrom !== undefined && inTo !== undefined ? 'neither' : 'unknown';
}

/** `work`, tried up to `attempts` times, a little longer apart each time. */
export async function retry<T>(attempts: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await pause(attempt);
    }
  }
}

const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, 200 * attempt));
