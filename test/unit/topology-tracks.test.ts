// The bridge waits for a track that is not subscribed yet: a keypad transfer connects at the answer, when
// the destination's line may not have published its audio. (CI once saw "the destination has no audio
// track to bridge" 2 ms after the answer.)
import { RoomEvent, TrackKind, type RemoteParticipant, type RemoteTrack, type RemoteTrackPublication, type Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { audioTrackWithin } from '../../agent/transfer/hold/tracks.ts';
import { fakeParticipant, fakeRoom } from '../support/fakes/index.ts';

const audio = { kind: TrackKind.KIND_AUDIO, sid: 'TR_audio' } as unknown as RemoteTrack;
const publication = {} as RemoteTrackPublication;
const video = { kind: TrackKind.KIND_VIDEO, sid: 'TR_video' } as unknown as RemoteTrack;

/** The consultation room, with `participants` in it. */
const consultation = (participants: RemoteParticipant[] = []): Room => fakeRoom('wt-consult', { participants });

describe('audioTrackWithin', () => {
  it('returns a track that is already subscribed at once', async () => {
    expect(await audioTrackWithin(consultation([fakeParticipant('dest', [audio])]), 'dest', 1000)).toBe(audio);
  });

  it("waits for the participant's audio to be subscribed, ignoring other tracks and participants", async () => {
    const room = consultation([fakeParticipant('dest')]);
    const found = audioTrackWithin(room, 'dest', 5000);
    room.emit(RoomEvent.TrackSubscribed, audio, publication, fakeParticipant('someone-else'));
    room.emit(RoomEvent.TrackSubscribed, video, publication, fakeParticipant('dest'));
    room.emit(RoomEvent.TrackSubscribed, audio, publication, fakeParticipant('dest'));
    expect(await found).toBe(audio);
    expect(room.listenerCount(RoomEvent.TrackSubscribed)).toBe(0);
  });

  it('gives up after the wait, leaving no listener behind', async () => {
    const room = consultation([fakeParticipant('dest')]);
    const started = Date.now();
    expect(await audioTrackWithin(room, 'dest', 50)).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(room.listenerCount(RoomEvent.TrackSubscribed)).toBe(0);
  });
});
