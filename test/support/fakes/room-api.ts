// RoomService without a server: every call is reported, in order, as `[method, ...arguments]`, to `onCall`,
// which may throw to make that call fail (a refused move, a room limit).
import type { RoomApi } from '../../../agent/livekit/room-api.ts';

export type RoomApiMethod = keyof RoomApi;
export type RoomApiCall = [RoomApiMethod, ...string[]];

export function fakeRoomApi(onCall: (call: RoomApiCall) => void | Promise<void> = () => undefined): RoomApi {
  return {
    createRoom: async (name) => onCall(['createRoom', name]),
    deleteRoom: async (name) => onCall(['deleteRoom', name]),
    removeParticipant: async (room, identity) => onCall(['removeParticipant', room, identity]),
    moveParticipant: async (room, identity, to) => onCall(['moveParticipant', room, identity, to]),
  };
}

/** A log line: what was done, then its arguments. */
export type LoggedCall = [string, ...string[]];

/**
 * A fakeRoomApi that logs its calls into `calls` (rooms' random suffixes written `<uuid>`; a test may log its
 * other fakes' doings there too, to check the order of all of them), failing a call with the next error
 * queued for its method.
 */
export function recordingRoomApi(failures: Partial<Record<RoomApiMethod, Error[]>> = {}, calls: LoggedCall[] = []): { api: RoomApi; calls: LoggedCall[] } {
  const api = fakeRoomApi((call) => {
    calls.push(call.map(withoutUuid) as LoggedCall);
    const error = failures[call[0]]?.shift();
    if (error) throw error;
  });
  return { api, calls };
}

/** A room name with its random suffix written `<uuid>`, so a test can compare names it did not choose. */
export const withoutUuid = (name: string): string => name.replace(/[0-9a-f-]{36}$/, '<uuid>');
