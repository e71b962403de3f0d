// Takeover on Cloud, the caller's side, for records written before the caller stayed in their own room: a caller
// a dead job of that version had moved into its hold room goes back to their own room before the transfer is
// carried on. Those records name the hold room before the caller was moved into it (write-ahead), so the server
// is asked first whether they got there.
import { bounded } from '../../core/bounded.ts';
import { quietly, type RoomApi } from '../livekit/room-api.ts';
import { moveParticipant } from '../transfer/hold/move-person.ts';

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
 * first (a few tries, as for any move), where the resumed transfer holds them again. The old hold room is
 * deleted only once they have left it: deleting it with the caller inside would drop the call. A bridged caller stays where they are, and so does one the server says never reached the hold room
 * (the job died between the record's write and the move).
 */
export async function bringCallerHome(api: RoomApi, held: HeldCaller, callerRoom: string): Promise<'not_held' | 'home' | 'stuck'> {
  const { holdRoom, callerIdentity } = held;
  if (!holdRoom || held.bridged) return 'not_held';
  if (!(await mayBeIn(api, holdRoom, callerIdentity))) {
    await quietly(api.deleteRoom(holdRoom)); // an empty hold room (or none): nobody is dropped by it
    return 'not_held';
  }
  // Idempotent: a move that answered an error may still have brought them home (move-person.ts).
  const moved = await moveParticipant(api, { identity: callerIdentity, from: holdRoom, to: callerRoom });
  if (moved.where === 'stayed') return 'stuck';
  await quietly(api.deleteRoom(holdRoom));
  return 'home';
}

/** False only when the server says for certain that `identity` is not in `room`; unknown counts as there. */
async function mayBeIn(api: RoomApi, room: string, identity: string): Promise<boolean> {
  if (!api.participantIdentities) return true;
  const who = await bounded(api.participantIdentities(room), HOLD_ROOM_LOOKUP_MS, 'listing the hold room').catch(() => undefined);
  return who === undefined || (who !== 'no_room' && who.includes(identity));
}
