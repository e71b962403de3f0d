// Publishing one audio track the worker feeds itself (hold music, a relay, a takeover's apology): bounded, a
// publication that answers after its bound taken down again, and nothing left open when it fails.
import { type AudioSource, LocalAudioTrack, type Room, TrackPublishOptions, TrackSource } from '@livekit/rtc-node';
import { bounded, PUBLISH_TIMEOUT_MS, settleWithin, UNPUBLISH_TIMEOUT_MS } from '../../core/bounded.ts';

/** Publishes `source` into `room` as a microphone track named `trackName`; on failure closes both and throws. */
export async function publishAudio(
  room: Room,
  source: AudioSource,
  trackName: string,
  what = `publishing ${trackName}`,
): Promise<{ track: LocalAudioTrack; sid: string }> {
  const track = LocalAudioTrack.createAudioTrack(trackName, source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const local = room.localParticipant!;
  try {
    const publication = await bounded(local.publishTrack(track, options), PUBLISH_TIMEOUT_MS, what, (late) =>
      settleWithin(local.unpublishTrack(late.sid!), UNPUBLISH_TIMEOUT_MS),
    );
    return { track, sid: publication.sid! };
  } catch (error) {
    await track.close().catch(() => undefined);
    await source.close().catch(() => undefined);
    throw error;
  }
}
