import { initializeLogger } from '@livekit/agents';
import type { tts } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { EspeakTTS } from '../../agent/conversation/speech/espeak-tts.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

async function collect(stream: tts.ChunkedStream, limit = Infinity): Promise<tts.SynthesizedAudio[]> {
  const items: tts.SynthesizedAudio[] = [];
  for await (const item of stream) {
    items.push(item);
    if (items.length >= limit) break;
  }
  return items;
}

const seconds = (frames: AudioFrame[]) => frames.reduce((s, f) => s + f.samplesPerChannel / f.sampleRate, 0);

/** Listens for unhandled rejections as a job process does (vitest then leaves them to us). */
async function catchingRejections<T>(fn: () => Promise<T>): Promise<{ result: T; rejections: unknown[] }> {
  const rejections: unknown[] = [];
  const listener = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', listener);
  try {
    const result = await fn();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { result, rejections };
  } finally {
    process.off('unhandledRejection', listener);
  }
}

function rms(frames: AudioFrame[]): number {
  let sum = 0;
  let n = 0;
  for (const f of frames) {
    for (const v of f.data) sum += v * v;
    n += f.data.length;
  }
  return Math.sqrt(sum / n);
}

describe('EspeakTTS', () => {
  it.each([24_000, 48_000, 22_050])('speaks at the declared rate (%i Hz)', async (sampleRate) => {
    const voice = new EspeakTTS({ sampleRate });
    expect(voice.sampleRate).toBe(sampleRate);
    expect(voice.numChannels).toBe(1);
    const items = await collect(voice.synthesize('Hello, thanks for calling'));
    const frames = items.map((i) => i.frame);
    expect(frames.length).toBeGreaterThan(10);
    for (const f of frames) {
      expect(f.sampleRate).toBe(sampleRate);
      expect(f.channels).toBe(1);
      expect(f.samplesPerChannel).toBeLessThanOrEqual((sampleRate * 50) / 1000);
    }
    expect(rms(frames)).toBeGreaterThan(300);
    expect(seconds(frames)).toBeGreaterThan(0.5);
    expect(seconds(frames)).toBeLessThan(5);
    expect(items.map((i) => i.final)).toEqual([...Array(items.length - 1).fill(false), true]);
    expect(new Set(items.map((i) => i.requestId)).size).toBe(1);
  });

  it('speaks faster with a higher speed', async () => {
    const text = 'One two three four five six seven eight nine ten';
    const slow = await collect(new EspeakTTS({ speed: 120 }).synthesize(text));
    const fast = await collect(new EspeakTTS({ speed: 300 }).synthesize(text));
    expect(seconds(fast.map((i) => i.frame))).toBeLessThan(seconds(slow.map((i) => i.frame)) * 0.7);
  });

  it("drops espeak-ng's closing silence but for 60 ms, and keeps the pauses inside the utterance", async () => {
    const items = await collect(new EspeakTTS({ sampleRate: 24_000 }).synthesize('Yes. Go ahead.'));
    const frames = items.map((i) => i.frame);
    const silent = frames.map((f) => f.data.every((v) => Math.abs(v) <= 64));
    const trailing = silent.length - 1 - silent.lastIndexOf(false);
    expect(trailing).toBeLessThanOrEqual(3);
    // The pause between the two sentences is still there: a run of silent frames before the end.
    let longestInside = 0;
    for (let i = 0, run = 0; i <= silent.lastIndexOf(false); i++) longestInside = Math.max(longestInside, (run = silent[i] ? run + 1 : 0));
    expect(longestInside).toBeGreaterThan(3);
  });

  it('stops when aborted', async () => {
    const text = 'This sentence is long enough to keep espeak busy for a while. '.repeat(80);
    const controller = new AbortController();
    const stream = new EspeakTTS().synthesize(text, undefined, controller.signal);
    const started = Date.now();
    const first = await collect(stream, 1);
    controller.abort();
    const rest = await collect(stream);
    // The whole text is minutes of audio; an abort leaves at most what was already queued.
    expect(first).toHaveLength(1);
    expect(seconds(rest.map((i) => i.frame))).toBeLessThan(60);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    [{ binary: '/nonexistent/espeak-ng' }, /^espeak-ng not found: install the Debian package espeak-ng$/],
    [{ voice: 'nosuchvoice' }, /voice does not exist/],
  ])('reports failures as tts errors (%o)', async (opts, message) => {
    const voice = new EspeakTTS(opts);
    const errors: Error[] = [];
    voice.on('error', (e) => errors.push(e.error));
    const { result, rejections } = await catchingRejections(() => collect(voice.synthesize('hello')));
    expect(result).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(message);
    // agents 1.9 re-throws run() errors from a promise nobody awaits; job processes log and ignore those.
    expect(rejections).toEqual(errors);
  });

  it('refuses streaming', () => {
    expect(() => new EspeakTTS().stream()).toThrow(/does not support streaming/);
  });
});
