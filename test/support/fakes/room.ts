// A LiveKit Room without a server: an event emitter (tests emit the room's events on it), the remote
// participants a test puts in it, and a local participant whose publishing answers at once unless the test
// says otherwise. What the worker does to the room (publish, unpublish, disconnect) is reported to `onEffect`,
// so each test keeps the log it reads in its own words.
import { EventEmitter } from 'node:events';
import { TrackKind, type RemoteParticipant, type RemoteTrack, type Room } from '@livekit/rtc-node';

export type RoomEffect =
  { kind: 'publish'; room: string; track: string } | { kind: 'unpublish'; room: string; sid: string } | { kind: 'disconnect'; room: string };

export interface FakeRoomOptions {
  /** Who is in the room: identities (no tracks), or participants made by fakeParticipant. */
  participants?: Array<string | RemoteParticipant>;
  onEffect?: (effect: RoomEffect) => void;
  /** What publishing a track answers; by default at once, with a sid naming the room and a count. */
  publish?: (track: { name: string }) => Promise<{ sid: string }>;
}

/** A remote participant with `tracks` already subscribed (`'audio'`: one audio track). */
export function fakeParticipant(identity: string, tracks: RemoteTrack[] | 'audio' = []): RemoteParticipant {
  const subscribed = tracks === 'audio' ? [{ kind: TrackKind.KIND_AUDIO, sid: `TR_${identity}` } as unknown as RemoteTrack] : tracks;
  const trackPublications = new Map(subscribed.map((track) => [track.sid, { kind: track.kind, track }]));
  return { identity, trackPublications } as unknown as RemoteParticipant;
}

export function fakeRoom(name = 'call-room', options: FakeRoomOptions = {}): Room {
  const effect = options.onEffect ?? (() => undefined);
  const participants = (options.participants ?? []).map((p) => (typeof p === 'string' ? fakeParticipant(p) : p));
  let published = 0;
  const localParticipant = {
    publishTrack: async (track: { name: string }) => {
      effect({ kind: 'publish', room: name, track: track.name });
      return options.publish ? options.publish(track) : { sid: `TR_${name}_${++published}` };
    },
    unpublishTrack: async (sid: string) => void effect({ kind: 'unpublish', room: name, sid }),
  };
  return Object.assign(new EventEmitter(), {
    name,
    remoteParticipants: new Map(participants.map((p) => [p.identity, p])),
    localParticipant,
    disconnect: async () => void effect({ kind: 'disconnect', room: name }),
  }) as unknown as Room;
}
