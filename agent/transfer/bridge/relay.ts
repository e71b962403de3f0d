// Relays one participant's audio from the room it is in to another room, as a track the worker publishes
// there. Two relays, one each way, join a caller and a destination who sit in different rooms: the
// open-source LiveKit server cannot move participants, so this is how a self-hosted bridge is made.
import { type AudioFrame, AudioSource, AudioStream, type RemoteAudioTrack, type Room } from '@livekit/rtc-node';
import { settleWithin, UNPUBLISH_TIMEOUT_MS } from '../../../core/bounded.ts';
import { publishAudio } from '../../livekit/publish-audio.ts';

/** Both legs are phone calls, sampled at 8 kHz (16 kHz wideband): a third of 48 kHz's data through the FFI. */
const RELAY_SAMPLE_RATE = 16_000;
/** A short queue: the relay must add as little delay as it can; dropping is better than lagging. */
const RELAY_QUEUE_MS = 100;
/**
 * The most audio the relay lets wait in its source before it drops frames instead. The source plays at real
 * time and the frames arrive at real time, so a backlog (the frames that piled up while this process's event
 * loop was busy, or before the relay started) would otherwise stay for the rest of the call as added delay.
 */
export const RELAY_MAX_QUEUED_MS = 30;

/** Where a relay's frames go: an AudioSource, or a test's stand-in. */
export interface FrameSink {
  readonly queuedDuration: number;
  captureFrame(frame: AudioFrame): Promise<void>;
}

/**
 * Moves frames from `read` to `sink` until `read` is done or `stopped()`; a frame that finds more than
 * RELAY_MAX_QUEUED_MS already queued is dropped. Returns how many frames were dropped.
 */
export async function pumpFrames(
  read: () => Promise<{ done: boolean; value?: AudioFrame | undefined }>,
  sink: FrameSink,
  stopped: () => boolean,
): Promise<number> {
  let dropped = 0;
  while (!stopped()) {
    const { done, value } = await read();
    if (done || !value || stopped()) break;
    if (sink.queuedDuration > RELAY_MAX_QUEUED_MS) {
      dropped++;
      continue;
    }
    await sink.captureFrame(value);
  }
  return dropped;
}

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
  const { track, sid } = await publishAudio(to, source, trackName);
  let stopped = false;
  let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
  let pump: Promise<void> = Promise.resolve();

  const start = (from: RemoteAudioTrack) => {
    if (stopped || reader) return;
    const current = new AudioStream(from, { sampleRate: RELAY_SAMPLE_RATE, numChannels: 1 }).getReader();
    reader = current;
    pump = pumpFrames(
      () => current.read(),
      source,
      () => stopped,
    ).then(
      () => undefined,
      () => undefined, // the source track or the room went away: the relay simply ends
    );
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
      await settleWithin(to.localParticipant?.unpublishTrack(sid), UNPUBLISH_TIMEOUT_MS);
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
