// What the person said while the briefing agent spoke without allowing interruptions. @livekit/agents
// 1.9 skips a user turn that ends during such speech ("skipping user input, current speech generation
// cannot be interrupted"): a voicemail greeting playing over the briefing, or "send them through" said
// over the question, would be lost. These words are kept and handed back once the speech is over,
// unless the framework took the turn after all (it ended just after the speech).

/** A lone "hello?" from someone picking up needs no answer of its own. */
const GREETING_ONLY = /^(hello|hi|hey|hallo|yes|yeah)[\s?!.,]*$/i;

export class HeldSpeech {
  #speaking = 0;
  #held: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  /**
   * @param replay called with what was held, once no uninterruptible speech is playing
   * @param graceMs how long after the speech to wait for the framework's own turn (its endpointing delay)
   */
  constructor(
    private readonly replay: (text: string) => void,
    private readonly graceMs = 1000,
  ) {}

  /** An uninterruptible utterance starts. */
  speechStarted(): void {
    this.#speaking++;
    clearTimeout(this.#timer);
  }

  /** It has played out (or was stopped). */
  speechEnded(): void {
    this.#speaking = Math.max(0, this.#speaking - 1);
    if (this.#speaking > 0 || this.#held.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#flush(), this.graceMs);
  }

  /** A final transcript of the person. */
  transcribed(text: string): void {
    const t = text.trim();
    if (t && this.#speaking > 0) this.#held.push(t);
  }

  /** The framework added a user turn to the conversation: it was not skipped. */
  committed(text: string): void {
    const t = text.trim();
    if (!t) return;
    this.#held = this.#held.filter((h) => !t.includes(h));
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#held = [];
  }

  #flush(): void {
    if (this.#speaking > 0) return;
    const text = this.#held.join(' ');
    this.#held = [];
    if (text && !GREETING_ONLY.test(text)) this.replay(text);
  }
}
