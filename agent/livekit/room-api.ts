// The few RoomService calls a transfer makes, behind an interface so the Cloud path can be tested
// against a recorded contract without a Cloud project.
import { RoomServiceClient, ServerError } from 'livekit-server-sdk';
import { bounded, ROOM_API_TIMEOUT_MS } from '../../core/bounded.ts';

export interface RoomApi {
  createRoom(name: string, options: { emptyTimeoutS: number; maxParticipants: number }): Promise<void>;
  deleteRoom(name: string): Promise<void>;
  removeParticipant(room: string, identity: string): Promise<void>;
  moveParticipant(room: string, identity: string, destinationRoom: string): Promise<void>;
  /** Who is in a room, by identity; 'no_room' when the server has no such room. Optional: a takeover's shortcut. */
  participantIdentities?(room: string): Promise<string[] | 'no_room'>;
  /** How many participants each of `rooms` has now (one ListRooms); a room that does not exist is left out. */
  participantCounts?(rooms: string[]): Promise<Map<string, number>>;
}

export interface LiveKitCredentials {
  url: string;
  apiKey: string;
  apiSecret: string;
}

export function httpUrl(url: string): string {
  return url.replace(/^ws(s?):\/\//, 'http$1://');
}

export function roomServiceApi(credentials: LiveKitCredentials): RoomApi {
  const client = new RoomServiceClient(httpUrl(credentials.url), credentials.apiKey, credentials.apiSecret);
  // Each call has its own bound: a server that stops answering must not hold up a transfer's next step.
  const call = <T>(what: string, work: Promise<T>) => bounded(work, ROOM_API_TIMEOUT_MS, what);
  return {
    async createRoom(name, { emptyTimeoutS, maxParticipants }) {
      await call('createRoom', client.createRoom({ name, emptyTimeout: emptyTimeoutS, departureTimeout: 1, maxParticipants }));
    },
    deleteRoom: (name) => call('deleteRoom', client.deleteRoom(name)),
    removeParticipant: (room, identity) => call('removeParticipant', client.removeParticipant(room, identity)),
    moveParticipant: (room, identity, destinationRoom) => call('moveParticipant', client.moveParticipant(room, identity, destinationRoom)),
    async participantCounts(rooms) {
      if (rooms.length === 0) return new Map();
      const found = await call('listRooms', client.listRooms(rooms));
      return new Map(found.map((room) => [room.name, room.numParticipants]));
    },
    async participantIdentities(room) {
      try {
        return (await call('listParticipants', client.listParticipants(room))).map((p) => p.identity);
      } catch (error) {
        if (error instanceof ServerError && (error.code === 'not_found' || error.status === 404)) return 'no_room';
        throw error;
      }
    },
  };
}

/** The open-source server answers MoveParticipant with "not implemented" (livekit/livekit issue 4203). */
export function isNotImplemented(error: unknown): boolean {
  if (error instanceof ServerError && (error.code === 'unimplemented' || error.status === 501)) return true;
  return error instanceof Error && /not implemented/i.test(error.message);
}

/** Ignores "already gone" failures: cleaning up after a participant or room that has left is not an error. */
export async function quietly(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch {
    // Cleanup of something that no longer exists.
  }
}
