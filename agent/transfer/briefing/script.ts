// What the person hears from the briefing agent, in order: the introduction as soon as they answer, then the
// caller's situation (the summary prepared while the phone rang, or the reason if it is late) and the question;
// the question again after a wrong key or a silence; after a takeover, an apology and the question; and, if the
// caller leaves before the bridge, a notice so nobody waits on a dead line. The words are in prompts/.
import type { Room } from '@livekit/rtc-node';
import { briefingFacts, briefingIntro, callerLeftNotice, DECISION_QUESTION, reassurance, reprompt, type RepromptReason } from '../../../prompts/briefing.ts';
import { settleWithin, SESSION_START_TIMEOUT_MS } from '../../../core/bounded.ts';
import type { TransferOutcome } from '../../../core/outcome.ts';
import type { Models } from '../../conversation/models.ts';
import type { EarlyRejoin } from '../../takeover/early-rejoin.ts';
import type { AttemptContext } from '../attempt-context.ts';
import { spokenDecision, UNBRIEFED_ACCEPT } from '../decision.ts';
import type { BriefingSession, startBriefingSession } from './session.ts';
import { summarize } from './summary.ts';

/** How long the summary may take once the destination has answered before the reason is used instead. */
const SUMMARY_GRACE_MS = 1500;
const NOTICE_TIMEOUT_MS = 10_000;
const BRIEFING_CLOSE_WAIT_MS = 2000;
/** How often one part of the briefing may be stopped by sounds that said nothing before it is said through. */
const MAX_RESUMES = 2;
/** How often the question is asked again after the person talked over it. */
const MAX_QUESTIONS = 3;
/** How long the consultation must be quiet, after the person asked something, before the question is asked. */
const QUIET_BEFORE_QUESTION_MS = 1200;

interface BriefingPart {
  text: string;
  part: 'intro' | 'facts' | 'question';
  fromCaller?: boolean;
}

/** A text's sentences, so that a briefing stopped midway resumes at the sentence it was in. */
export function sentencesOf(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+(?=\S)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

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
  /** The facts' sentences synthesised ahead for this call (forgotten when it closes). */
  #prepared: string[] = [];

  constructor(private readonly options: BriefingScriptOptions) {}

  /** The briefing session, once it is starting; undefined for an ordinary transfer or before the room is joined. */
  get session(): Promise<BriefingSession> | undefined {
    return this.#session;
  }

  /** Starts the summary, so it is ready by the answer; a taken-over attempt keeps the one it was briefed with. */
  prepareSummary(): Promise<string> {
    const { models, transcript, reason, ringingTimeoutMs, resumed } = this.options;
    this.#summary = resumed ? Promise.resolve(resumed.summary ?? reason) : summarize(models.llm, transcript, reason, ringingTimeoutMs);
    // The facts are known before the answer: synthesised while the phone rings, they follow the introduction at once.
    const { known, brief } = this.options;
    if (brief && models.phrases) {
      void this.#summary
        .then(async (summary) => {
          this.#prepared = sentencesOf(briefingFacts({ summary, known }));
          await models.phrases?.prepare(this.#prepared);
        })
        .catch(() => undefined);
    }
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
      onBargeIn: () => context.timeline.record('barged_in', { phase: context.phase().kind }),
      onUnclear: () => context.send({ type: 'unclear' }),
      startTimeoutMs: ringingTimeoutMs + SESSION_START_TIMEOUT_MS,
    });
    this.#session.catch(() => undefined);
  }

  /**
   * The brief effect: introduction, summary and question; then the decision wait starts. The person may talk over
   * any of it (barge-in): a plain yes or no decides at once; a question is answered and then the question asked
   * again once the conversation is quiet; a cough or a "hello?" lets the briefing go on from the part it stopped.
   */
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
    const summary = Promise.race([this.#summary!, new Promise<string>((resolve) => setTimeout(() => resolve(reason), SUMMARY_GRACE_MS))]);
    let said = await this.#sayParts(session, [{ text: introText, part: 'intro' }], signal);
    const facts = briefingFacts({ summary: await summary, known });
    if (said === 'played')
      said = await this.#sayParts(
        session,
        sentencesOf(facts).map((text) => ({ text, part: 'facts', fromCaller: true })),
        signal,
      );
    // The question is the same on every call: prepared with the introduction, it follows the facts at once, or
    // follows the answer to what the person asked over the briefing.
    for (let asked = 0; said !== 'aborted' && said !== 'decided' && asked < MAX_QUESTIONS; asked++) {
      if (said === 'ask') await session.quiet(QUIET_BEFORE_QUESTION_MS, signal);
      if (signal.aborted) return;
      context.timeline.record('question_started', asked ? { again: true } : {});
      said = await this.#sayParts(session, [{ text: DECISION_QUESTION, part: 'question' }], signal);
      if (said === 'played') break;
    }
    if (signal.aborted || said === 'decided') return;
    context.timeline.record('prompted', { 'lk.pii.briefing': `${facts} ${DECISION_QUESTION}` });
    context.send({ type: 'prompted' });
  }

  /**
   * Says the parts in order, each open to barge-in (while there is a transcriber to hear what was said). A part
   * the person stopped is said again from its start when nothing intelligible came of it, at most
   * MAX_RESUMES times (then it is said through): a noisy line cannot hold the briefing up for ever.
   */
  async #sayParts(session: BriefingSession, parts: BriefingPart[], signal: AbortSignal): Promise<'played' | 'ask' | 'decided' | 'aborted'> {
    const { context } = this.options;
    for (const { text, part, fromCaller } of parts) {
      for (let resumes = 0; ; resumes++) {
        const bargeIn = session.hears && resumes < MAX_RESUMES;
        const said = await session.say(text, signal, { fromCaller: fromCaller === true, bargeIn });
        if (said === 'aborted') return 'aborted';
        if (said === 'played') break;
        const heard = await session.heard(signal);
        context.timeline.record('briefing_interrupted', { part, heard });
        if (signal.aborted) return 'aborted';
        if (heard === 'decided') return 'decided';
        if (heard === 'words') return 'ask';
      }
    }
    return 'played';
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
  async reprompt(why: RepromptReason, signal: AbortSignal): Promise<void> {
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
    this.options.models.phrases?.forget(this.#prepared);
    const closing = this.#session?.then((session) => session.close()).catch(() => undefined);
    await settleWithin(closing, BRIEFING_CLOSE_WAIT_MS);
  }
}
