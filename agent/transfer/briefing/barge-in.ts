// The person may talk over the briefing. Their voice stops it at once (the session's VAD says they started
// speaking); then what they said decides what follows:
//   - a plain yes or no (quick-decision.ts) decides the transfer there and then, with or without a model;
//   - anything else a model can answer (a question, a voicemail greeting) goes to the model;
//   - nothing intelligible (a cough, a knock, "hello?", words with no model to hear them): the briefing resumes
//     where it stopped, once the person has been quiet for a moment.
// The framework's turns are not interruptible during the briefing (so it never cuts it short itself): this
// stops the speech instead, and only speech the briefing marked as open to it.
import type { SpokenDecision } from './spoken.ts';
import { quickDecision } from './quick-decision.ts';

/** What the person's words over the briefing came to. */
export type Heard = 'nothing' | 'words' | 'decided';

/** A lone "hello?" from someone picking up, or "okay" while listening, needs no answer of its own. */
const NO_ANSWER_NEEDED = /^(?:hello|hi|hey|hallo|okay|ok|alright|right|mm+|uh+|um+|hmm+)[\s?!.,]*$/i;

/** How long after words for the model are transcribed their turn may take to be completed by the framework. */
const TURN_WAIT_MS = 3000;
/** The longest the briefing waits on the person's words after they stopped it. */
const HEARD_BOUND_MS = 15_000;
/**
 * Stops by a sound the VAD never took for speech, after which sounds no longer stop the briefing (the VAD alone
 * does): a line whose noise keeps rising above its floor must not keep the briefing from being said.
 */
export const SOUND_STOPS = 2;
/**
 * A sound the VAD has not taken for speech within this long stopped the briefing for nothing: it resumes at once
 * (silero says speech 66 / 98 ms after the onset offline, and stays within this on a busy machine but for rare
 * stalls; speech it confirms later stops the resumed briefing again).
 */
export const SOUND_CONFIRM_MS = 400;

export interface BargeInOptions {
  /** Stops the speech that is playing. */
  interrupt: () => void;
  onDecision: (decision: SpokenDecision) => void;
  /** Whether a model hears words that decide nothing (otherwise they count as nothing heard). */
  hasModel: boolean;
  /** How long after the person stops talking a transcript may still come before it is "nothing". */
  graceMs: number;
  /** Told when speech was stopped for the person: how long after they started speaking, by the VAD's account. */
  onStopped?: (info: { speechMs: number }) => void;
  /** The person said something the recogniser could not take for a yes or a no, other than over the briefing. */
  onUnclear?: () => void;
}

export class BargeIn {
  #open = false;
  #pending = false;
  /** Words for the model were heard: the wait is now for their turn, not for a transcript. */
  #awaitingTurn = false;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<(heard: Heard) => void> = [];
  #last: Heard | undefined;
  #decided = false;
  /** The speech was stopped by a sound (sound-onset.ts) the VAD has not yet said is speech. */
  #bySound = false;
  #confirm: NodeJS.Timeout | undefined;
  #soundStops = 0;

  constructor(private readonly options: BargeInOptions) {}

  /** A sound from the person, heard before the VAD has a word on it: stops open speech at once, as the VAD would. */
  soundStarted(): void {
    if (!this.#open || this.#soundStops >= SOUND_STOPS) return;
    this.personStarted();
    this.#bySound = true;
    this.#confirm = setTimeout(() => this.#bySound && this.#settle('nothing'), SOUND_CONFIRM_MS);
  }

  /** Speech that the person may stop starts (true) or ends (false). */
  open(open: boolean): void {
    this.#open = open;
  }

  /** The VAD heard the person start; `speechMs` is how much speech it had heard by then. */
  personStarted(speechMs = 0): void {
    if (!this.#awaitingTurn) clearTimeout(this.#timer);
    clearTimeout(this.#confirm);
    this.#bySound = false;
    if (!this.#open) return;
    this.#open = false;
    this.#pending = true;
    this.#last = undefined;
    this.options.interrupt();
    this.options.onStopped?.({ speechMs });
  }

  /** The VAD heard them stop: if no words come within the grace, nothing was said. */
  personStopped(): void {
    if (!this.#pending || this.#awaitingTurn) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#settle('nothing'), this.options.graceMs);
  }

  /**
   * A final transcript of the person, at any time in the briefing. Returns whether it was dealt with here
   * (decided, or needing no answer), so the model is not asked to reply to it.
   */
  transcribed(text: string): boolean {
    const decision = quickDecision(text);
    if (decision) {
      this.#decide(decision);
      return true;
    }
    if (!text.trim() || NO_ANSWER_NEEDED.test(text.trim())) {
      this.#settle('nothing');
      return true;
    }
    if (!this.options.hasModel) {
      this.#settle('nothing');
      return true;
    }
    // Words for the model: they count once the framework has made them a turn (the model's reply follows), so
    // nothing is said over the reply. Should the turn never come, they count anyway a little later.
    if (this.#pending) {
      clearTimeout(this.#timer);
      this.#awaitingTurn = true;
      this.#timer = setTimeout(() => this.#settle('words'), TURN_WAIT_MS);
    }
    return false;
  }

  /**
   * The framework completed a turn of the person's: the transcripts of its utterances, joined. Returns whether
   * it is answered here; if not, it goes to the model (whose reply is on its way). A yes or no said across a
   * pause that made two utterances of it ("put them" ... "through") decides here, unless a part already did.
   */
  turnCompleted(text: string): boolean {
    const decision = quickDecision(text);
    if (decision) {
      this.#decide(decision);
      return true;
    }
    if (this.#needsNoAnswer(text)) return true;
    this.#settle('words');
    return false;
  }

  /** The recogniser heard an utterance it could not make out: over the briefing it resumes now, else it is told. */
  unclear(): void {
    if (this.#pending) this.#settle('nothing');
    else this.options.onUnclear?.();
  }

  /** Whether a turn's words are answered here rather than by the model (the same test as transcribed()). */
  handles(text: string): boolean {
    return this.#needsNoAnswer(text) || quickDecision(text.trim()) !== undefined;
  }

  /** No model to answer them, or nothing in them that needs an answer. */
  #needsNoAnswer(text: string): boolean {
    const t = text.trim();
    return !this.options.hasModel || !t || NO_ANSWER_NEEDED.test(t);
  }

  /**
   * After an interruption: resolves with what the person's words came to; 'nothing' if `signal` aborts, or if
   * nothing came of them within HEARD_BOUND_MS (a line that never goes quiet must not hold the briefing).
   */
  heard(signal: AbortSignal): Promise<Heard> {
    if (!this.#pending && this.#last) return Promise.resolve(this.#last);
    return new Promise((resolve) => {
      if (signal.aborted) return resolve('nothing');
      const bound = setTimeout(() => finish('nothing'), HEARD_BOUND_MS);
      const finish = (heard: Heard) => {
        clearTimeout(bound);
        signal.removeEventListener('abort', aborted);
        this.#waiters = this.#waiters.filter((w) => w !== finish);
        resolve(heard);
      };
      const aborted = () => finish('nothing');
      signal.addEventListener('abort', aborted, { once: true });
      this.#waiters.push(finish);
    });
  }

  close(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#confirm);
    this.#settle('nothing');
  }

  /** The person decided: the transfer is told once, whatever else they say. */
  #decide(decision: SpokenDecision): void {
    if (!this.#decided) {
      this.#decided = true;
      this.options.onDecision(decision);
    }
    this.#settle('decided');
  }

  #settle(heard: Heard): void {
    if (!this.#pending) return;
    if (this.#bySound && heard === 'nothing') this.#soundStops += 1;
    this.#bySound = false;
    clearTimeout(this.#confirm);
    clearTimeout(this.#timer);
    this.#pending = false;
    this.#awaitingTurn = false;
    this.#last = heard;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(heard);
  }
}
