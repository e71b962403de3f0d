// Whether the two people of a kept call are still on the line, as the server sees it (RoomService): the keeper
// asks before it takes a call over, once more just after, and on Cloud every PRESENCE_POLL_MS while it keeps it.
import type { RoomApi } from '../livekit/room-api.ts';
import { DESTINATION_IDENTITY } from '../transfer/consultation.ts';
import type { TransferRecord } from '../transfer/record/store.ts';

/** What carries a kept call's audio: the forwarder between two rooms, or the server in the caller's room (Cloud). */
export type Carrier = 'forwarder' | 'server';
/** Why a kept call ended. */
export type EndedBy = 'caller_hung_up' | 'destination_hung_up' | 'max_duration' | 'room_closed' | 'gone';

/** `both`, or who is missing: the person in the caller's room (server), or each in their own room (forwarder). */
export async function onTheLine(api: Required<Pick<RoomApi, 'participantIdentities'>>, record: TransferRecord, carrier: Carrier): Promise<'both' | EndedBy> {
  const personRoom = carrier === 'server' ? record.callerRoom : record.consultationRoom!;
  const [inCallerRoom, inPersonRoom] = await Promise.all([
    api.participantIdentities(record.callerRoom),
    personRoom === record.callerRoom ? undefined : api.participantIdentities(personRoom),
  ]);
  const people = inPersonRoom ?? inCallerRoom;
  if (inCallerRoom === 'no_room' || people === 'no_room') return 'gone';
  if (!inCallerRoom.includes(record.callerIdentity)) return 'caller_hung_up';
  if (!people.includes(DESTINATION_IDENTITY)) return 'destination_hung_up';
  return 'both';
}
