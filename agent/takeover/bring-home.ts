// Takeover on Cloud, the caller's side: a caller the dead job had moved into its hold room goes back to their
// own room before the transfer is carried on. The record names the hold room before the caller is moved into
// it (write-ahead), so the server is asked first whether they got there.
import { bounded } from '../../core/bounded.ts';
import { quietly, type RoomApi } from '../livekit/room-api.ts';
import { MOVE_BACK_ATTEMPTS, retry } from '../transfer/hold/move-topology.ts';

/** How long the server is asked who is in the hold room before the move home is tried anyway. */
export const HOLD_ROOM_LOOKUP_MS = 2000;

/** Where the record says the caller may be held. */
export interface HeldCaller {
  holdRoom: string | undefined;
  callerIdentity: string;
  /** Bridged by the server: the caller is with the destination in the consultation room. */
  bridged: boolean;
}

/**
 * The caller of a transfer whose job died may still wait in that job's hold room. Back into their own room
 * first (a few tries, as for any move home), where the resumed transfer holds them again in a hold room of its
 * own. The old hold room is deleted only once they have left it: deleting it with the caller inside would drop
 * the call. A bridged caller stays where they are, and so does one the server says never reached the hold room
 * (the job died between the record's write and the move).
 */
export async function bringCallerHome(api: RoomApi, held: HeldCaller, callerRoom: string): Promise<'not_held' | 'home' | 'stuck'> {
  const { holdRoom, callerIdentity } = held;
  if (!holdRoom || held.bridged) return 'not_held';
  if (!(await mayBeIn(api, holdRoom, callerIdentity))) {
    await quietly(api.deleteRoom(holdRoom)); // an empty hold room (or none): nobody is dropped by it
    return 'not_held';
  }
  try {
    await retry(MOVE_BACK_ATTEMPTS, () => api.moveParticipant(holdRoom, callerIdentity, callerRoom));
  } catch {
    return 'stuck';
  }
  await quietly(api.deleteRoom(holdRoom));
  return 'home';
}

/** False only when the server says for certain that `identity` is not in `room`; unknown counts as there. */
async function mayBeIn(api: RoomApi, room: string, identity: string): Promise<boolean> {
  if (!api.participantIdentities) return true;
  const who = await bounded(api.participantIdentities(room), HOLD_ROOM_LOOKUP_MS, 'listing the hold room').catch(() => undefined);
  return who === undefined || (who !== 'no_room' && who.includes(identity));
}
