// Chooses the speech and language models: OpenAI (or any OpenAI-compatible server via OPENAI_BASE_URL)
// when a key is configured, the embedded offline espeak-ng voice otherwise.
import type { llm, stt, tts, VAD } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import * as silero from '@livekit/agents-plugin-silero';
import type { WorkerConfig } from '../config.ts';
import { DecisionSTT } from './speech/decision-stt.ts';
import { EspeakTTS } from './speech/espeak-tts.ts';
import type { Phrases } from './speech/phrases.ts';

/**
 * The rate the agent sessions hear the phone at. A phone call is sampled at 8 kHz (16 kHz for a wideband
 * codec), so nothing is lost, and the Silero VAD takes the frames as they come (at the framework's 24 kHz every
 * frame was resampled once more for it).
 */
export const SESSION_INPUT_RATE = 16_000;

/**
 * How long the person must be quiet before the briefing takes their words as said (silero's default, 550 ms,
 * suits the caller's turns). Over the briefing they say short things, "yes, put them through", and every
 * millisecond of this is waited before the caller hears them; a pause inside a sentence longer than this makes
 * two utterances, which the transcripts of one turn join again (and "yes" alone already decides). With a
 * transcription service only: the offline recogniser needs its phrases whole.
 */
export const BRIEFING_SILENCE_MS = 300;

/**
 * How much speech the briefing's VAD must hear before it says the person started (silero's default is 50 ms):
 * none beyond the first 32 ms window the model takes for speech, so the briefing stops one window sooner. On
 * espeak-ng's accept and reject phrases through the phone's A-law (84 utterances, 4 voices), speech onset →
 * start of speech went from 98 / 130 ms (p50 / p95, longest 292) to 66 / 98 (longest 100); the end of speech,
 * which the caller waits for, is unchanged. A knock the model takes for speech stops the briefing a moment;
 * it resumes (barge-in.ts).
 */
export const BRIEFING_MIN_SPEECH_MS = 0;

/**
 * The briefing session's VAD. With a transcription service it also hears the person stop sooner; the offline
 * recogniser keeps silero's silence, as it needs its phrases whole ("no, I can't take this now" split at the
 * comma is two it cannot make out).
 */
export function loadBriefingVad(transcribed: boolean): Promise<VAD> {
  return silero.VAD.load({ minSpeechDuration: BRIEFING_MIN_SPEECH_MS, ...(transcribed ? { minSilenceDuration: BRIEFING_SILENCE_MS } : {}) });
}

export interface Models {
  tts: tts.TTS;
  stt: stt.STT | undefined;
  llm: llm.LLM | undefined;
  vad: VAD;
  /** The briefing session's VAD (BRIEFING_SILENCE_MS); the caller's when none is given. */
  briefingVad?: VAD;
  /** Fixed sentences synthesised ahead of the call (the embedded voice only). */
  phrases?: Phrases;
  /**
   * With no transcription service: the offline recogniser of spoken decisions, the briefing's only ear. It hears
   * a closed set of ways to say yes or no, and nothing else.
   */
  decisionStt?: DecisionSTT;
}

export function createModels(config: WorkerConfig, vad: VAD, briefingVad?: VAD): Models {
  const ai = config.openai;
  const connection = ai ? { apiKey: ai.apiKey, ...(ai.baseURL ? { baseURL: ai.baseURL } : {}) } : undefined;
  const speech =
    config.tts === 'openai' && ai
      ? new openai.TTS({ ...connection, model: ai.ttsModel, voice: ai.ttsVoice as openai.TTSOptions['voice'] })
      : new EspeakTTS({ voice: config.espeakVoice, speed: config.espeakSpeed });
  const vads = { vad, ...(briefingVad ? { briefingVad } : {}) };
  if (!ai || !connection)
    return { tts: speech, stt: undefined, llm: undefined, ...vads, ...(config.offlineDecision ? { decisionStt: new DecisionSTT() } : {}) };
  return {
    tts: speech,
    // Non-realtime transcription: the VAD cuts turns and each turn is sent to /audio/transcriptions.
    stt: new openai.STT({ ...connection, model: ai.sttModel, useRealtime: false, vad }),
    llm: new openai.LLM({ ...connection, model: ai.model }),
    ...vads,
  };
}
