// What the person hears from the briefing agent, in order: the introduction as soon as they answer, then the
// caller's situation (the summary prepared while the phone rang, or the reason if it is late) and the question;
// the question again after a wrong key or a silence; after a takeover, an apology and the question; and, if the
// caller leaves before the bridge, a notice so nobody waits on a dead line. The words are in prompts/.
import type { Room } from '@livekit/rtc-node';
import { briefingFacts, briefingIntro, callerLeftNotice, DECISION_QUESTION, reassurance, reprompt } from '../../../prompts/briefing.ts';
import { settleWithin, SESSION_START_TIMEOUT_MS } from '../../../core/bounded.ts';
import type { TransferOutcome } from '../../../core/outcome.ts';
import type { Models } from '../../conversation/models.ts';
import type { EarlyRejoin } from '../../takeover/early-rejoin.ts';
import type { AttemptContext } from '../attempt-context.ts';
import { spokenDecision, UNBRIEFED_ACCEPT } from '../decision.ts';
import { type BriefingSession, type startBriefingSession, summarize } from './session.ts';

/** How long the summary may take once the destination has answered before the reason is used instead. */
const SUMMARY_GRACE_MS = 1500;
const NOTICE_TIMEOUT_MS = 10_000;
const BRIEFING_CLOSE_WAIT_MS = 2000;

export interface BriefingScriptOptions {
  context: AttemptContext;
  /** Starts the briefing agent in a room (links.ts). */
  startBriefing: typeof startBriefingSession;
  models: Models;
  /** False for an ordinary (cold) transfer: nobody is briefed, and the answer is the accept. */
  brief: boolean;
  reason: string;
  transcript: string;
  /** Facts the briefing states before any summary, known without a model (a screened keypad transfer's). */
  known?: string | undefined;
  personIdentity: string;
  ringingTimeoutMs: number;
  /** Set for a taken-over attempt: the summary the person was briefed with, and the apology said on rejoining. */
  resumed?: { summary?: string | undefined; early?: EarlyRejoin | undefined } | undefined;
}

export class BriefingScript {
  #session: Promise<BriefingSession> | undefined;
  #summary: Promise<string> | undefined;

  constructor(private readonly options: BriefingScriptOptions) {}

  /** The briefing session, once it is starting; undefined for an ordinary transfer or before the room is joined. */
  get session(): Promise<BriefingSession> | undefined {
    return this.#session;
  }

  /** Starts the summary, so it is ready by the answer; a taken-over attempt keeps the one it was briefed with. */
  prepareSummary(): Promise<string> {
    const { models, transcript, reason, ringingTimeoutMs, resumed } = this.options;
    this.#summary = resumed ? Promise.resolve(resumed.summary ?? reason) : summarize(models.llm, transcript, reason, ringingTimeoutMs);
    return this.#summary;
  }

  /** Starts the briefing agent in the consultation room (once); it waits there for the person to answer. */
  open(room: Room): void {
    const { brief, context, models, reason, transcript, personIdentity, ringingTimeoutMs } = this.options;
    if (!brief || this.#session) return;
    this.#session = this.options.startBriefing({
      room,
      destinationIdentity: personIdentity,
      models,
      input: { reason, summary: reason, transcript },
      onDecision: (decision) => context.send(spokenDecision(decision)),
      onUnconfirmedAccept: () => context.timeline.record('unconfirmed_accept', { phase: context.phase().kind }),
      onConversation: (active) => context.send({ type: 'conversation', active }),
      startTimeoutMs: ringingTimeoutMs + SESSION_START_TIMEOUT_MS,
    });
    this.#session.catch(() => undefined);
  }

  /** The brief effect: introduction, summary and question; then the decision wait starts. */
  async brief(signal: AbortSignal): Promise<void> {
    const { context, reason, known } = this.options;
    if (!this.options.brief) {
      context.send(UNBRIEFED_ACCEPT);
      return;
    }
    const session = await this.#session!;
    const introText = briefingIntro();
    context.timeline.record('briefing_started', { intro: introText });
    // The introduction goes out at once; the summary (prepared while the phone rang) follows it.
    const intro = session.say(introText, signal);
    const summary = await Promise.race([this.#summary!, new Promise<string>((resolve) => setTimeout(() => resolve(reason), SUMMARY_GRACE_MS))]);
    await intro;
    if (signal.aborted) return;
    const facts = briefingFacts({ summary, known });
    await session.say(facts, signal, { fromCaller: true });
    if (signal.aborted) return;
    // The question is the same on every call: prepared with the introduction, it follows the facts at once.
    context.timeline.record('question_started', {});
    await session.say(DECISION_QUESTION, signal);
    if (signal.aborted) return;
    context.timeline.record('prompted', { 'lk.pii.briefing': `${facts} ${DECISION_QUESTION}` });
    context.send({ type: 'prompted' });
  }

  /** The reassure effect (takeover mid-briefing): sorry, and the question again. */
  async reassure(signal: AbortSignal): Promise<void> {
    const { context } = this.options;
    // An ordinary transfer connects at the answer; it was only interrupted on its way there.
    if (!this.options.brief) {
      context.send(UNBRIEFED_ACCEPT);
      return;
    }
    // The apology may have been said already, on a track of its own, while this session started.
    const [session, apologised] = await Promise.all([this.#session!, this.options.resumed?.early?.apologised ?? false]);
    const text = reassurance({ apologised });
    await session.say(text, signal);
    if (signal.aborted) return;
    context.timeline.record('prompted', { 'lk.pii.briefing': text, resumed: true, apologisedFirst: apologised });
    context.send({ type: 'prompted' });
  }

  /** The question again, after a key that means nothing or a silence. */
  async reprompt(why: 'invalid_key' | 'timeout', signal: AbortSignal): Promise<void> {
    this.options.context.timeline.record('reprompted', { reason: why });
    await (await this.#session)?.say(reprompt(why), signal);
  }

  /** The caller is gone before the bridge: the person hears why, then the machine lets them go. */
  async tellCallerLeft(outcome: TransferOutcome, signal: AbortSignal): Promise<void> {
    const session = await this.#session;
    session?.interrupt();
    // Not over a takeover's apology, which may still be playing on its own track.
    await settleWithin(this.options.resumed?.early?.apologised, NOTICE_TIMEOUT_MS);
    await session?.say(callerLeftNotice(outcome), AbortSignal.any([signal, AbortSignal.timeout(NOTICE_TIMEOUT_MS)]));
    this.options.context.send({ type: 'notice_done' });
  }

  /**
   * Closes the session whenever it is up, waiting a little for it. It may still be starting (it waits for the
   * destination to join, which a busy or unanswered destination never does): that is not waited for here.
   */
  async close(): Promise<void> {
    const closing = this.#session?.then((session) => session.close()).catch(() => undefined);
    await settleWithin(closing, BRIEFING_CLOSE_WAIT_MS);
  }
}
