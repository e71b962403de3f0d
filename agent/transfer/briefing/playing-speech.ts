// Which of a session's speeches is playing. The framework plays a session's speeches one at a time, in the order
// they were scheduled (every say and reply of this version has the same priority), so the one playing, or next
// to play, is the oldest that is not done. Barge-in needs this: dropping the audio queued for the room stops
// whatever is playing, and that must be the briefing's own speech, never an uninterruptible one before it.
import type { voice } from '@livekit/agents';

/** What this needs of a speech handle. */
export type Speech = Pick<voice.SpeechHandle, 'done' | 'addDoneCallback'>;

export class PlayingSpeech {
  /** Speeches not done yet, oldest first (a Set keeps insertion order). */
  readonly #live = new Set<Speech>();

  /** A speech the session created (its SpeechCreated event). */
  created(speech: Speech): void {
    if (speech.done()) return;
    this.#live.add(speech);
    speech.addDoneCallback(() => this.#live.delete(speech));
  }

  /** Whether `speech` is the one playing or next to play: nothing created before it is still going. */
  isFirst(speech: Speech): boolean {
    for (const live of this.#live) if (!live.done()) return live === speech;
    return false;
  }
}
