// The bridge waits for a track that is not subscribed yet: a keypad transfer connects at the answer, when
// the destination's line may not have published its audio. (CI once saw "the destination has no audio
// track to bridge" 2 ms after the answer.)
import { EventEmitter } from 'node:events';
import { RoomEvent, TrackKind, type RemoteParticipant, type RemoteTrack, type RemoteTrackPublication, type Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { audioTrackWithin } from '../../agent/transfer/hold/tracks.ts';

const audio = { kind: TrackKind.KIND_AUDIO, sid: 'TR_audio' } as unknown as RemoteTrack;
const publication = {} as RemoteTrackPublication;
const video = { kind: TrackKind.KIND_VIDEO, sid: 'TR_video' } as unknown as RemoteTrack;

function participant(identity: string, tracks: RemoteTrack[] = []): RemoteParticipant {
  const publications = new Map(tracks.map((t) => [t.sid, { kind: t.kind, track: t }]));
  return { identity, trackPublications: publications } as unknown as RemoteParticipant;
}

function fakeRoom(participants: RemoteParticipant[] = []): Room {
  return Object.assign(new EventEmitter(), { remoteParticipants: new Map(participants.map((p) => [p.identity, p])) }) as unknown as Room;
}

describe('audioTrackWithin', () => {
  it('returns a track that is already subscribed at once', async () => {
    expect(await audioTrackWithin(fakeRoom([participant('dest', [audio])]), 'dest', 1000)).toBe(audio);
  });

  it("waits for the participant's audio to be subscribed, ignoring other tracks and participants", async () => {
    const room = fakeRoom([participant('dest')]);
    const found = audioTrackWithin(room, 'dest', 5000);
    room.emit(RoomEvent.TrackSubscribed, audio, publication, participant('someone-else'));
    room.emit(RoomEvent.TrackSubscribed, video, publication, participant('dest'));
    room.emit(RoomEvent.TrackSubscribed, audio, publication, participant('dest'));
    expect(await found).toBe(audio);
    expect(room.listenerCount(RoomEvent.TrackSubscribed)).toBe(0);
  });

  it('gives up after the wait, leaving no listener behind', async () => {
    const room = fakeRoom([participant('dest')]);
    const started = Date.now();
    expect(await audioTrackWithin(room, 'dest', 50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(room.listenerCount(RoomEvent.TrackSubscribed)).toBe(0);
  });
});
