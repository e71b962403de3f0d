// The briefing's VAD (models.ts) against silero's default, on the real model and espeak-ng's accept and reject
// phrases as a phone sends them: it hears the person start a 32 ms window sooner, and hears them stop when the
// default does with the same silence (the offline recogniser's), or sooner with the transcription service's
// shorter one. Measured in samples, not on the clock. The model's probability can differ in the second decimal
// from one run to the next, which moves a phrase that sits at the threshold by one window: each phrase is
// compared within a window, the corpus as a whole more strictly.
import { initializeLogger, VADEventType, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { AudioFrame } from '@livekit/rtc-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { BRIEFING_SILENCE_MS, loadBriefingVad } from '../../agent/conversation/models.ts';
import { rms } from '../../phones/index.ts';
import { ACCEPTS, REJECTS } from '../bench/decision-corpus.ts';
import { phoneSpeech } from '../support/phone-speech.ts';

const RATE = 8000;
/** The model takes 512 samples at 16 kHz at a time. */
const WINDOW_MS = 32;
const LEAD_MS = 500;
const VOICES = ['en-us', 'en-gb-x-rp'];

interface Heard {
  /** From the first 10 ms of the phrase above a whisper to the VAD's start of speech, and to its end of speech. */
  startMs: number;
  /** From the last 10 ms above a whisper to the end of speech. */
  endMs: number;
}

/** Feeds `LEAD_MS` of silence, the phrase and 1.5 s of silence to a stream of `vad`, 10 ms at a time. */
async function hear(vad: VAD, speech: Int16Array): Promise<Heard> {
  const loud: number[] = [];
  for (let i = 0; i + 80 <= speech.length; i += 80) if (rms(speech.subarray(i, i + 80)) > 300) loud.push(i / 8);
  const audio = new Int16Array(8 * LEAD_MS + speech.length + 8 * 1500);
  audio.set(speech, 8 * LEAD_MS);
  const stream = vad.stream();
  const events = (async () => {
    let start: number | undefined;
    for await (const event of stream) {
      // samplesIndex counts the model's 16 kHz samples.
      if (event.type === VADEventType.START_OF_SPEECH) start ??= event.samplesIndex / 16;
      if (event.type === VADEventType.END_OF_SPEECH) return { start, end: event.samplesIndex / 16 };
    }
    return { start, end: undefined };
  })();
  for (let i = 0; i + 80 <= audio.length; i += 80) stream.pushFrame(new AudioFrame(audio.slice(i, i + 80), RATE, 1, 80));
  stream.flush();
  const { start, end } = await events;
  stream.close();
  expect(start, 'a start of speech').toBeDefined();
  expect(end, 'an end of speech').toBeDefined();
  return { startMs: start! - LEAD_MS - loud[0]!, endMs: end! - LEAD_MS - (loud.at(-1)! + 10) };
}

const p95 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.ceil(0.95 * values.length) - 1]!;

describe("the briefing's VAD on phone speech", { timeout: 180_000 }, () => {
  const phrases: { text: string; voice: string; speech: Int16Array }[] = [];
  let silero550: VAD;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'warn' });
    silero550 = await silero.VAD.load();
    for (const voice of VOICES) for (const text of [...ACCEPTS, ...REJECTS]) phrases.push({ text, voice, speech: await phoneSpeech(text, voice) });
  });

  it("offline (silero's silence): starts sooner on every phrase, by a window at the median, and ends exactly as silero's default", async () => {
    const briefing = await loadBriefingVad(false);
    const gains: number[] = [];
    const starts: number[] = [];
    for (const { text, voice, speech } of phrases) {
      const ours = await hear(briefing, speech);
      const theirs = await hear(silero550, speech);
      expect(ours.startMs, `${voice}: ${text}`).toBeLessThanOrEqual(theirs.startMs + WINDOW_MS);
      expect(Math.abs(ours.endMs - theirs.endMs), `${voice}: ${text}`).toBeLessThanOrEqual(WINDOW_MS);
      gains.push(theirs.startMs - ours.startMs);
      starts.push(ours.startMs);
    }
    expect(gains.sort((a, b) => a - b)[Math.floor(gains.length / 2)]).toBeGreaterThanOrEqual(WINDOW_MS);
    expect(p95(starts)).toBeLessThanOrEqual(100);
  });

  it(`with a transcription service: starts as soon, and ends about ${550 - BRIEFING_SILENCE_MS} ms sooner (within two windows) on every phrase`, async () => {
    const offline = await loadBriefingVad(false);
    const transcribed = await loadBriefingVad(true);
    for (const { text, voice, speech } of phrases) {
      const quick = await hear(transcribed, speech);
      const whole = await hear(offline, speech);
      expect(Math.abs(quick.startMs - whole.startMs), `${voice}: ${text}`).toBeLessThanOrEqual(WINDOW_MS);
      expect(quick.endMs, `${voice}: ${text}`).toBeLessThanOrEqual(whole.endMs - (550 - BRIEFING_SILENCE_MS) + 2 * WINDOW_MS);
    }
  });
});
