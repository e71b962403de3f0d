// The person's first sound over the briefing, from the loudness of their audio alone. The session's VAD (silero)
// says speech started only once its model has taken a window or more of it: 66 / 98 ms after the onset (p50 / p95)
// on espeak-ng's accept and reject phrases through the phone's A-law, later when its inference falls behind on a
// busy machine. This hears the onset in 20 ms, so barge-in stops the briefing that much sooner; the VAD then
// confirms it was speech, or the briefing resumes (barge-in.ts). Loudness is taken against the line's own floor,
// which follows a steady hiss or hum, so only a sound clearly above it counts.
import { AudioStream, type Room } from '@livekit/rtc-node';
import { audioTrackWithin } from '../hold/tracks.ts';

/** The frames looked at: 10 ms each. */
const FRAME_MS = 10;
/** A sound starts with this many frames in a row above the threshold. */
const ONSET_FRAMES = 2;
/** And ends after this long below it. */
const QUIET_MS = 200;
/** Nothing quieter counts, whatever the floor (about -40 dBFS: the tests' "above a whisper"). */
const MIN_RMS = 300;
/** A sound is this many times the floor's RMS (12 dB) or more. */
const ABOVE_FLOOR = 4;
/**
 * The floor: the level a fifth of the last second's frames were under. A steady hiss, hum or tone is its own
 * floor; a few packets lost (silence for 30 ms) do not pull it down, so the noise after them is not a sound; a
 * noise that starts and stays (a fan, a television) becomes the floor within a second, and its sound ends.
 */
const FLOOR_WINDOW_MS = 1000;
const FLOOR_SHARE = 0.2;
/**
 * The line's first half second only sets the floor: a line that carries a tone or a hiss from the answer is not a
 * sound. It counts from the first frame that is not digital silence: the person's track is there while their
 * phone rings, carrying zeros until the answer.
 */
const WARM_UP_MS = 500;

export interface SoundHandlers {
  started(): void;
  ended?(): void;
}

/** Frame by frame (any length; 10 ms expected), says when a sound starts and ends. */
export class SoundOnset {
  /** The levels of the last FLOOR_WINDOW_MS of frames, oldest first. */
  #levels: number[] = [];
  #loud = 0;
  #quietMs = 0;
  #sounding = false;
  #heardMs = 0;

  constructor(private readonly handlers: SoundHandlers) {}

  frame(samples: Int16Array, sampleRate: number): void {
    if (samples.length === 0) return;
    let sum = 0;
    for (const sample of samples) sum += sample * sample;
    const level = Math.sqrt(sum / samples.length);
    const frameMs = (samples.length / sampleRate) * 1000;
    if (this.#heardMs === 0 && level < 1) return;
    const floor = this.#floor();
    this.#levels.push(level);
    if (this.#levels.length * frameMs > FLOOR_WINDOW_MS) this.#levels.shift();
    if (this.#heardMs < WARM_UP_MS) {
      this.#heardMs += frameMs;
      return;
    }
    const loud = level >= Math.max(MIN_RMS, floor * ABOVE_FLOOR);
    if (loud) {
      this.#quietMs = 0;
      this.#loud += 1;
      if (!this.#sounding && this.#loud >= ONSET_FRAMES) {
        this.#sounding = true;
        this.handlers.started();
      }
      return;
    }
    this.#loud = 0;
    if (!this.#sounding) return;
    this.#quietMs += frameMs;
    if (this.#quietMs >= QUIET_MS) {
      this.#sounding = false;
      this.handlers.ended?.();
    }
  }

  #floor(): number {
    const sorted = [...this.#levels].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length * FLOOR_SHARE)] ?? 0;
  }
}

/**
 * Listens to `identity`'s audio in `room` (once it is subscribed) and tells `handlers` when a sound starts and
 * ends. Returns the stop.
 */
export function watchSound(room: Room, identity: string, handlers: SoundHandlers, sampleRate = 8000): () => void {
  let stopped = false;
  let reader: ReturnType<ReadableStream<unknown>['getReader']> | undefined;
  const onset = new SoundOnset(handlers);
  void (async () => {
    const track = await audioTrackWithin(room, identity, 30_000);
    if (!track || stopped) return;
    const frames = new AudioStream(track, { sampleRate, numChannels: 1, frameSizeMs: FRAME_MS }).getReader();
    reader = frames;
    for (;;) {
      const { done, value } = await frames.read();
      if (done || stopped) break;
      onset.frame(value.data, value.sampleRate);
    }
  })().catch(() => undefined);
  return () => {
    stopped = true;
    void reader?.cancel().catch(() => undefined);
  };
}
