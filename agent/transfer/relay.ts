// Relays one participant's audio from the room it is in to another room, as a track the worker publishes
// there. Two relays, one each way, join a caller and a destination who sit in different rooms: the
// open-source LiveKit server cannot move participants, so this is how a self-hosted bridge is made.
import {
  type AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  type RemoteAudioTrack,
  type Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { bounded, PUBLISH_TIMEOUT_MS, settleWithin, UNPUBLISH_TIMEOUT_MS } from './bounded.ts';

const RELAY_SAMPLE_RATE = 48_000;
/** A short queue: the relay must add as little delay as it can; dropping is better than lagging. */
const RELAY_QUEUE_MS = 100;

export interface AudioRelay {
  /** Resolves when the relay has stopped (source track ended or stop() called). */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/** A relay whose track is already published (silent) in the room it will play into; start() feeds it. */
export interface PreparedRelay extends AudioRelay {
  start(from: RemoteAudioTrack): void;
}

/**
 * Publishes the relay's track in `to` ahead of time: publishing is the slow part of a bridge (a round trip
 * to the server per track), and a track that is fed nothing is silence, so it can wait in the room while
 * the destination is briefed and nobody hears anything until start().
 */
export async function prepareRelay(to: Room, trackName: string): Promise<PreparedRelay> {
  const source = new AudioSource(RELAY_SAMPLE_RATE, 1, RELAY_QUEUE_MS);
  const track = LocalAudioTrack.createAudioTrack(trackName, source);
  const options = new TrackPublishOptions();
  options.source = TrackSource.SOURCE_MICROPHONE;
  const local = to.localParticipant!;
  const publication = await bounded(local.publishTrack(track, options), PUBLISH_TIMEOUT_MS, `publishing ${trackName}`, (late) =>
    settleWithin(local.unpublishTrack(late.sid!), UNPUBLISH_TIMEOUT_MS),
  ).catch(async (error: unknown) => {
    await track.close().catch(() => undefined);
    await source.close().catch(() => undefined);
    throw error;
  });
  let stopped = false;
  let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
  let pump: Promise<void> = Promise.resolve();

  const start = (from: RemoteAudioTrack) => {
    if (stopped || reader) return;
    const current = new AudioStream(from, { sampleRate: RELAY_SAMPLE_RATE, numChannels: 1 }).getReader();
    reader = current;
    pump = (async () => {
      try {
        while (!stopped) {
          const { done, value } = await current.read();
          if (done || stopped) break;
          await source.captureFrame(value);
        }
      } catch {
        // The source track or the room went away: the relay simply ends.
      }
    })();
  };

  let resolveEnded!: () => void;
  const ended = new Promise<void>((r) => (resolveEnded = r));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopped = true;
      await reader?.cancel().catch(() => undefined);
      source.clearQueue();
      await pump;
      await settleWithin(to.localParticipant?.unpublishTrack(publication.sid!), UNPUBLISH_TIMEOUT_MS);
      await track.close().catch(() => undefined);
      await source.close().catch(() => undefined);
      resolveEnded();
    })();
    return stopping;
  };
  return {
    start(from) {
      start(from);
      // A source track that ends ends the relay.
      void pump.then(() => {
        if (!stopped) void stop();
      });
    },
    ended,
    stop,
  };
}
