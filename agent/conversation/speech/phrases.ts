// Sentences said the same way on every call (the greeting, the briefing's introduction), synthesised once per
// job process while it waits for a call, so that saying them waits for no synthesis: the first audio goes out
// as soon as the framework forwards it. A sentence not ready (or whose synthesis failed) is synthesised when
// said, as any other.
import type { AudioFrame } from '@livekit/rtc-node';
import type { tts } from '@livekit/agents';
import { bounded } from '../../../core/bounded.ts';

const SYNTHESIS_TIMEOUT_MS = 10_000;

export class Phrases {
  readonly #ready = new Map<string, AudioFrame[]>();

  constructor(private readonly model: tts.TTS) {
    // A failed synthesis is reported as an 'error' event too, which with no listener would end the process.
    model.on('error', () => undefined);
  }

  /** Synthesises each text (once); resolves when all are ready or have failed. */
  async prepare(texts: Iterable<string>): Promise<void> {
    for (const text of new Set(texts)) {
      if (this.#ready.has(text)) continue;
      const frames = await synthesizeFrames(this.model, text, SYNTHESIS_TIMEOUT_MS, 'synthesizing a phrase').catch(() => undefined);
      if (frames?.length) this.#ready.set(text, frames);
    }
  }

  /** Drops texts said on one call only (a briefing's facts), once that call is done with them. */
  forget(texts: Iterable<string>): void {
    for (const text of texts) this.#ready.delete(text);
  }

  /** `session.say` options carrying `text`'s audio when it is ready; none otherwise. */
  audioFor(text: string): { audio?: ReadableStream<AudioFrame> } {
    const frames = this.#ready.get(text);
    if (!frames) return {};
    return {
      audio: new ReadableStream<AudioFrame>({
        start(controller) {
          for (const frame of frames) controller.enqueue(frame);
          controller.close();
        },
      }),
    };
  }
}

/** `text` synthesised whole, as frames; rejects after `timeoutMs` (and stops the synthesis). */
export async function synthesizeFrames(model: tts.TTS, text: string, timeoutMs: number, what: string): Promise<AudioFrame[]> {
  const stream = model.synthesize(text);
  const collect = (async () => {
    const frames: AudioFrame[] = [];
    for await (const chunk of stream) frames.push(chunk.frame);
    return frames;
  })();
  return bounded(collect, timeoutMs, what, () => stream.close());
}
