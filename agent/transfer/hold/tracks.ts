// Waiting for an audio track to be subscribed: the bridge relays tracks, and a line that answered a moment
// ago may not have published its audio yet.
import { type RemoteParticipant, type RemoteAudioTrack, type RemoteTrack, type Room, RoomEvent, TrackKind } from '@livekit/rtc-node';

function audioTrackOf(participant: RemoteParticipant | undefined): RemoteAudioTrack | undefined {
  for (const publication of participant?.trackPublications.values() ?? []) {
    if (publication.kind === TrackKind.KIND_AUDIO && publication.track) return publication.track as RemoteAudioTrack;
  }
  return undefined;
}

/** How long a bridge waits for an audio track that is not subscribed yet. */
export const TRACK_WAIT_MS = 5000;

/**
 * `identity`'s audio track in `room`, waiting up to `ms` for it to be subscribed: a line that answered a
 * moment ago (a keypad transfer connects at the answer, without a briefing) may not have published yet.
 */
export function audioTrackWithin(room: Room, identity: string, ms: number): Promise<RemoteAudioTrack | undefined> {
  const now = audioTrackOf(room.remoteParticipants.get(identity));
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const onTrack = (track: RemoteTrack, _publication: unknown, participant: RemoteParticipant) => {
      if (participant.identity === identity && track.kind === TrackKind.KIND_AUDIO) done(track as RemoteAudioTrack);
    };
    const done = (track: RemoteAudioTrack | undefined) => {
      clearTimeout(timer);
      room.off(RoomEvent.TrackSubscribed, onTrack);
      resolve(track);
    };
    const timer = setTimeout(() => done(audioTrackOf(room.remoteParticipants.get(identity))), ms);
    room.on(RoomEvent.TrackSubscribed, onTrack);
  });
}
