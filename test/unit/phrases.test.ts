import { initializeLogger } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { EspeakTTS } from '../../agent/conversation/speech/espeak-tts.ts';
import { Phrases } from '../../agent/conversation/speech/phrases.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'warn' }));

async function frames(stream: ReadableStream<AudioFrame> | undefined): Promise<AudioFrame[]> {
  const out: AudioFrame[] = [];
  if (!stream) return out;
  for await (const frame of stream) out.push(frame);
  return out;
}
const seconds = (list: AudioFrame[]) => list.reduce((s, f) => s + f.samplesPerChannel / f.sampleRate, 0);

describe('phrases synthesised ahead of the call', () => {
  it('hands the prepared audio to every say of that text, whole each time, and nothing for other texts', async () => {
    const phrases = new Phrases(new EspeakTTS({ voice: 'en-us' }));
    await phrases.prepare(['Hello, thanks for calling.', 'Hello, thanks for calling.']);
    const first = await frames(phrases.audioFor('Hello, thanks for calling.').audio);
    const second = await frames(phrases.audioFor('Hello, thanks for calling.').audio);
    expect(seconds(first)).toBeGreaterThan(0.5);
    expect(seconds(second)).toBeCloseTo(seconds(first), 5);
    expect(first[0]!.sampleRate).toBe(24_000);
    expect(phrases.audioFor('Something else.')).toEqual({});
  });

  it('leaves a text whose synthesis fails to be synthesised when said', async () => {
    // agents 1.9 also re-throws the failure from a promise nobody awaits; job processes log and ignore those.
    const rejections: unknown[] = [];
    const listener = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const phrases = new Phrases(new EspeakTTS({ voice: 'en-us', binary: 'no-such-espeak-binary' }));
      await expect(phrases.prepare(['Hello.'])).resolves.toBeUndefined();
      expect(phrases.audioFor('Hello.')).toEqual({});
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      process.off('unhandledRejection', listener);
    }
    expect(String(rejections[0])).toMatch(/espeak-ng not found/);
  });
});
