// Relays one participant's audio from the room it is in to another room, as a track the worker publishes
// there. Two relays, one each way, join a caller and a destination who sit in different rooms: the
// open-source LiveKit server cannot move participants, so this is how a self-hosted bridge is made.
import {
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteAudioTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';

const RELAY_SAMPLE_RATE = 48_000;
/** A short queue: the relay must add as little delay as it can; dropping is better than lagging. */
const RELAY_QUEUE_MS = 100;

export interface AudioRelay {
  /** Resolves when the relay has stopped (source track ended or stop() called). */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

export async function relayAudio(from: RemoteAudioTrack, to: Room, trackName: string): Promise<AudioRelay> {
  const source = new AudioSource(RELAY_SAMPLE_RATE, 1, RELAY_QUEUE_MS);
  const track = LocalAudioTrack.createAudioTrack(trackName, source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const publication = await to.localParticipant!.publishTrack(track, options);
  const stream = new AudioStream(from, { sampleRate: RELAY_SAMPLE_RATE, numChannels: 1 });
  const reader = stream.getReader();
  let stopped = false;

  const ended = (async () => {
    try {
      while (!stopped) {
        const { done, value } = await reader.read();
        if (done || stopped) break;
        await source.captureFrame(value);
      }
    } catch {
      // The source track or the room went away: the relay simply ends.
    }
  })();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      await reader.cancel().catch(() => undefined);
      source.clearQueue();
      await ended;
      await to.localParticipant?.unpublishTrack(publication.sid!).catch(() => undefined);
      await track.close().catch(() => undefined);
      await source.close().catch(() => undefined);
    })();
    return stopping;
  };
  return { ended, stop };
}
