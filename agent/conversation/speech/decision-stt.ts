// The offline decision recogniser as an agents-js STT, so a session (or anything else that takes an STT) can
// use it in place of a transcription service. It is not a transcriber: it hears only the phrases of
// decision-phrases.ts, and its transcript is the phrase heard, or empty when it is unsure (the framework's
// StreamAdapter drops empty transcripts, so an unsure utterance makes no user turn). Non-streaming: an
// AgentSession with a VAD wraps it in the framework's StreamAdapter itself, which cuts the turns.
import { mergeFrames, normalizeLanguage, shortuuid, stt } from '@livekit/agents';
import type { AudioBuffer } from '@livekit/agents';
import { type DecisionRecogniserOptions, type DecisionResult, DecisionRecogniser } from './decision-recogniser.ts';

export class DecisionSTT extends stt.STT {
  label = 'pocketsphinx.decision';
  readonly recogniser: DecisionRecogniser;
  /** The last utterance's full result (decision and confidence), for whoever needs more than the text. */
  lastResult: DecisionResult | undefined;

  /**
   * @param onResult hears every utterance's result, unsure ones included (which make no transcript): the place to
   *   say "please press 1 or 9" when the person said something that was not understood
   */
  constructor(
    opts: Partial<DecisionRecogniserOptions> | DecisionRecogniser = {},
    private readonly onResult?: (result: DecisionResult) => void,
  ) {
    super({ streaming: false, interimResults: false });
    this.recogniser = opts instanceof DecisionRecogniser ? opts : new DecisionRecogniser(opts);
  }

  override get model(): string {
    return 'pocketsphinx-en-us-decision';
  }

  override get provider(): string {
    return 'pocketsphinx';
  }

  /** The same recogniser, reporting every result to `onResult` (one per session that listens). */
  withListener(onResult: (result: DecisionResult) => void): DecisionSTT {
    return new DecisionSTT(this.recogniser, onResult);
  }

  /** Whether the recogniser can run here (the decoder and its model are installed); never throws. */
  async available(): Promise<boolean> {
    return this.recogniser.prepare().then(
      () => true,
      () => false,
    );
  }

  protected async _recognize(buffer: AudioBuffer, abortSignal?: AbortSignal): Promise<stt.SpeechEvent> {
    const frame = mergeFrames(buffer);
    const mono = monoOf(frame.data, frame.channels, frame.samplesPerChannel);
    // A decoder that cannot run hears nothing: the person still has the keys, and the session is not failed.
    const result = await this.recogniser
      .recognise(mono, frame.sampleRate, abortSignal)
      .catch((): DecisionResult => ({ decision: 'unsure', text: '', heard: '' }));
    this.lastResult = result;
    this.onResult?.(result);
    const seconds = frame.samplesPerChannel / frame.sampleRate;
    return {
      type: stt.SpeechEventType.FINAL_TRANSCRIPT,
      requestId: shortuuid(),
      alternatives: [
        {
          text: result.text,
          language: normalizeLanguage('en'),
          startTime: 0,
          endTime: seconds,
          confidence: result.confidence ?? 0,
          metadata: { decision: result.decision, ...(result.timedOut ? { timedOut: true } : {}) },
        },
      ],
      recognitionUsage: { audioDuration: seconds },
    };
  }

  stream(): never {
    throw new Error('the decision recogniser does not stream; give the session a VAD, or wrap it in stt.StreamAdapter');
  }

  override async close(): Promise<void> {
    await this.recogniser.close();
  }
}

/** The first channel of interleaved PCM16. */
function monoOf(data: Int16Array, channels: number, samples: number): Int16Array {
  if (channels <= 1) return data.subarray(0, samples);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = data[i * channels] ?? 0;
  return out;
}
