// Hold music: decoded once into memory (at worker prewarm; once per file with Redis), then looped into a room as its own track.
// Decoding ahead keeps "please hold" to music under a few hundred milliseconds: starting a track only
// needs a publish, not an ffmpeg run.
import { AudioFrame, AudioResampler, AudioSource, type LocalAudioTrack, type Room } from '@livekit/rtc-node';
import type { Redis } from 'ioredis';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readAudioHeader } from '../../../settings/music/audio-header.ts';
import { checkHoldMusic } from '../../../settings/hold-music.ts';
import { bounded, settleWithin, UNPUBLISH_TIMEOUT_MS } from '../../../core/bounded.ts';
import { DECODE_TIMEOUT_MS, decodeAudio, type DecodeOptions } from '../../../settings/music/decode.ts';
import { publishAudio } from '../../livekit/publish-audio.ts';
import { builtinHoldMusicPath, HOLD_MUSIC_MAX_DURATION_MS, HOLD_SAMPLE_RATE } from '../../../settings/music/hold-audio.ts';

const FRAME_MS = 20;
const SAMPLES_PER_FRAME = (HOLD_SAMPLE_RATE * FRAME_MS) / 1000;

/** How a music file is decoded: MP3 or WAV as settings files are checked, or the built-in Ogg Vorbis. */
function codecOf(data: Buffer, path: string): Pick<DecodeOptions, 'container' | 'decoder'> {
  if (data.subarray(0, 4).toString('latin1') === 'OggS') return { container: 'ogg', decoder: 'vorbis' };
  const check = checkHoldMusic(data, path);
  if (!check.ok) throw new Error(check.error);
  const header = readAudioHeader(data, check.format);
  if ('error' in header) throw new Error(`hold music ${path} ${header.error}`);
  if (header.durationMs > HOLD_MUSIC_MAX_DURATION_MS) {
    throw new Error(`hold music ${path} plays ${Math.round(header.durationMs / 1000)} s; the limit is ${HOLD_MUSIC_MAX_DURATION_MS / 1000} s`);
  }
  return { container: check.format, decoder: header.decoder };
}

export class HoldMusic {
  private constructor(
    readonly source: string,
    private readonly pcm: Int16Array,
  ) {}

  /** Decodes the whole file (decode-audio.ts: bounded in time and length); throws if it does not decode or holds no audio. */
  static async load(path: string = builtinHoldMusicPath()): Promise<HoldMusic> {
    const data = await readFile(path);
    const pcm = await decodeAudio(data, {
      ...codecOf(data, path),
      sampleRate: HOLD_SAMPLE_RATE,
      maxDurationMs: HOLD_MUSIC_MAX_DURATION_MS,
      timeoutMs: DECODE_TIMEOUT_MS,
    }).catch((error: Error) => {
      throw new Error(`hold music ${path} does not decode: ${error.message}`);
    });
    if (pcm.length < SAMPLES_PER_FRAME) throw new Error(`hold music ${path} decoded to no audio`);
    return new HoldMusic(path, pcm);
  }

  /** Music already decoded at HOLD_SAMPLE_RATE, mono (e.g. by the settings service, stored in Redis). */
  static fromSamples(source: string, pcm: Int16Array): HoldMusic {
    if (pcm.length < SAMPLES_PER_FRAME) throw new Error(`hold music ${source} holds no audio`);
    return new HoldMusic(source, pcm);
  }

  /** The decoded music: mono, 16-bit, at HOLD_SAMPLE_RATE. */
  get samples(): Int16Array {
    return this.pcm;
  }

  get durationMs(): number {
    return (this.pcm.length / HOLD_SAMPLE_RATE) * 1000;
  }

  /**
   * Publishes the music into `room` and loops it until `stop()`; the returned promise resolves once
   * the track is published (the caller hears music from then on).
   */
  async play(room: Room, trackName = 'hold-music'): Promise<HoldMusicPlayback> {
    const source = new AudioSource(HOLD_SAMPLE_RATE, 1);
    const { track, sid } = await publishAudio(room, source, trackName, 'publishing hold music');
    const playback = new HoldMusicPlayback(room, source, track, sid);
    void playback.loop(this.pcm);
    return playback;
  }
}

export class HoldMusicPlayback {
  private stopped = false;
  private done: Promise<void> | undefined;
  /** Words for the caller on hold, played in place of the music, in order. */
  private readonly interjections: Array<{ frames: AsyncIterable<AudioFrame>; done: () => void }> = [];

  constructor(
    private readonly room: Room,
    private readonly source: AudioSource,
    private readonly track: LocalAudioTrack,
    private readonly trackSid: string,
  ) {}

  loop(pcm: Int16Array): Promise<void> {
    this.done = (async () => {
      let offset = 0;
      while (!this.stopped) {
        const interjection = this.interjections.shift();
        if (interjection) {
          await this.speak(interjection.frames).finally(interjection.done);
          continue;
        }
        const end = Math.min(offset + SAMPLES_PER_FRAME, pcm.length);
        const data = new Int16Array(SAMPLES_PER_FRAME);
        data.set(pcm.subarray(offset, end));
        offset = end >= pcm.length ? 0 : end;
        // captureFrame paces to real time, so this loop runs at the music's own speed.
        await this.source.captureFrame(new AudioFrame(data, HOLD_SAMPLE_RATE, 1, SAMPLES_PER_FRAME)).catch(() => {
          this.stopped = true;
        });
      }
    })();
    return this.done;
  }

  /** Pauses the music for `frames` (speech at any sample rate); resolves once they have been played. */
  interject(frames: AsyncIterable<AudioFrame>): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((done) => this.interjections.push({ frames, done }));
  }

  private async speak(frames: AsyncIterable<AudioFrame>): Promise<void> {
    let resampler: AudioResampler | undefined;
    try {
      for await (const frame of frames) {
        if (this.stopped) break;
        if (frame.sampleRate !== HOLD_SAMPLE_RATE) resampler ??= new AudioResampler(frame.sampleRate, HOLD_SAMPLE_RATE, 1);
        for (const out of resampler ? resampler.push(frame) : [frame]) await this.source.captureFrame(out);
      }
    } catch {
      // A failed note is not worth the music: carry on with it.
    }
  }

  /** Stops the music at once: resolves when nothing more will be played (the track is still published). */
  async silence(): Promise<void> {
    this.stopped = true;
    for (const pending of this.interjections.splice(0)) pending.done();
    this.source.clearQueue();
    await this.done;
  }

  /** Stops the music and removes the track; safe to call more than once. */
  async stop(): Promise<void> {
    if (this.stopped && !this.done) return;
    await this.silence();
    this.done = undefined;
    await settleWithin(this.room.localParticipant?.unpublishTrack(this.trackSid), UNPUBLISH_TIMEOUT_MS);
    await this.track.close().catch(() => undefined);
    await this.source.close().catch(() => undefined);
  }
}

/** How long decoded music stays in Redis for the job processes to read; a worker's start puts it back. */
const DECODED_TTL_MS = 24 * 3600_000;
const REDIS_TIMEOUT_MS = 2000;

/**
 * Hold music decoded once per file, not in every job process: the samples are kept in Redis under the file's
 * hash, and a process whose Redis has them reads them (milliseconds) instead of running ffmpeg and framing its
 * output (about 0.5 s of CPU per process start, on the cores the calls use). Without Redis, or when what is
 * kept does not look like this music, the file is decoded here as before.
 */
export async function loadHoldMusicShared(redis: Redis, path: string = builtinHoldMusicPath(), prefix = 'wt:'): Promise<HoldMusic> {
  const key = `${prefix}hold-music:${createHash('sha256')
    .update(await readFile(path))
    .digest('hex')}:${HOLD_SAMPLE_RATE}`;
  const kept = await bounded(redis.getBuffer(key), REDIS_TIMEOUT_MS, 'reading decoded hold music').catch(() => null);
  if (kept && kept.length >= SAMPLES_PER_FRAME * 2 && kept.length % 2 === 0) {
    const pcm = new Int16Array(kept.length / 2);
    Buffer.from(pcm.buffer).set(kept);
    return HoldMusic.fromSamples(path, pcm);
  }
  const music = await HoldMusic.load(path);
  const bytes = Buffer.from(music.samples.buffer, music.samples.byteOffset, music.samples.byteLength);
  await bounded(redis.set(key, bytes, 'PX', DECODED_TTL_MS), REDIS_TIMEOUT_MS, 'keeping decoded hold music').catch(() => undefined);
  return music;
}
