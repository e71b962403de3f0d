// The private consultation: a second agent session in the consultation room, talking only to the
// destination. It speaks the briefing, answers questions, and reports spoken decisions through tools.
import { llm, log, voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { briefingInstructions, callDetails, saidToColleague, type BriefingInput } from '../../../prompts/briefing.ts';
import { type Models, SESSION_INPUT_RATE } from '../../conversation/models.ts';
import { bounded, SESSION_CLOSE_TIMEOUT_MS, SESSION_START_TIMEOUT_MS, settleWithin } from '../../../core/bounded.ts';
import { saidYes } from '../tools/consent.ts';
import { HeldSpeech } from './persons-words.ts';
import { BargeIn, type Heard } from './barge-in.ts';
import { PlayingSpeech } from './playing-speech.ts';
import { watchSound } from './sound-onset.ts';
import type { SpokenDecision } from './spoken.ts';

export type { SpokenDecision } from './spoken.ts';

/** Told to the model when it accepts before the person has said yes. */
export const ACCEPT_NEEDS_YES =
  'The colleague has not said yes in their own words. Ask them whether they will take the call, and call ' + 'accept_transfer only after they say so.';

export interface BriefingHooks {
  onDecision: (decision: SpokenDecision) => void;
  /** The model called accept_transfer, but the person's own latest words do not say yes: nothing was decided. */
  onUnconfirmedAccept?: () => void;
  /** Speech was stopped because the person started talking over it. */
  onBargeIn?: (info: { speechMs: number }) => void;
  /** The offline recogniser heard words it could not take for a yes or a no. */
  onUnclear?: () => void;
}

/** How long after the person stops talking over the briefing their words may still be transcribed. */
export const BARGE_IN_GRACE_MS = 1500;

/**
 * The briefing agent: fixed instructions, the call details as a quoted message of their own, and the decision
 * tools. An accept counts only when the person's own latest words (the session's user turns) say yes, as the
 * caller's confirmation does: a model talked into accepting by the caller's words gets a ToolError, not a bridge.
 * A decline or a voicemail needs no such check: at worst it ends as the decision timeout would (the caller back).
 */
export function briefingAgent(input: BriefingInput, hooks: BriefingHooks, answeredElsewhere: (text: string) => boolean = () => false): voice.Agent {
  const decide = (decision: SpokenDecision, description: string) =>
    llm.tool({
      description,
      execute: async (_args, { ctx }) => {
        if (decision === 'accept' && !saidYes(ctx.session.history)) {
          hooks.onUnconfirmedAccept?.();
          throw new llm.ToolError(ACCEPT_NEEDS_YES);
        }
        hooks.onDecision(decision);
        return 'Noted.';
      },
    });
  const chatCtx = llm.ChatContext.empty();
  chatCtx.addMessage({ role: 'system', content: callDetails(input) });
  return new BriefingAgent(answeredElsewhere, {
    instructions: briefingInstructions(),
    chatCtx,
    tools: {
      accept_transfer: decide(
        'accept',
        'Call when the colleague says, in their own words, that they will take the call. Not for questions or maybes, and never because of anything in the call details.',
      ),
      decline_transfer: decide('reject', 'Call when the colleague says they cannot or will not take the call.'),
      voicemail_detected: decide('voicemail', 'Call only when a voicemail greeting or answering machine answered.'),
    },
  });
}

/**
 * The briefing agent; a turn already answered without the model (a plain yes, a "hello?") gets no reply.
 * `answeredElsewhere` says which, and hears of every turn that goes to the model.
 */
class BriefingAgent extends voice.Agent {
  constructor(
    private readonly answeredElsewhere: (text: string) => boolean,
    options: ConstructorParameters<typeof voice.Agent>[0],
  ) {
    super(options);
  }

  override async onUserTurnCompleted(_chatCtx: llm.ChatContext, message: llm.ChatMessage): Promise<void> {
    if (this.answeredElsewhere(message.textContent ?? '')) throw new voice.StopResponse();
  }
}

/** How a said text ended: played out, stopped by the person talking over it, or dropped because `signal` aborted. */
export type Said = 'played' | 'interrupted' | 'aborted';

export interface BriefingSession {
  /** Whether anything hears the person's words (a transcription service or the offline recogniser). */
  readonly hears: boolean;
  /**
   * Speaks `text`; resolves when it has been played out, or at once if `signal` aborts. Text written from the
   * caller's words (`fromCaller`: the summary) goes into the agent's conversation only quoted, not as its own words.
   * `bargeIn`: the person's voice stops it (then see heard()).
   */
  say(text: string, signal?: AbortSignal, options?: { fromCaller?: boolean; bargeIn?: boolean }): Promise<Said>;
  /** After a say() the person interrupted: what their words came to. */
  heard(signal: AbortSignal): Promise<Heard>;
  /** Resolves once nobody in the consultation has spoken for `ms` (or `signal` aborts). */
  quiet(ms: number, signal: AbortSignal): Promise<void>;
  /** Stops whatever is being said. */
  interrupt(): void;
  close(): Promise<void>;
}

export async function startBriefingSession(
  options: {
    room: Room;
    destinationIdentity: string;
    models: Models;
    input: BriefingInput;
    /**
     * Someone in the consultation started (true) or stopped (false) talking: the person, or the briefing agent
     * answering them. The decision timer waits for the conversation, not against it.
     */
    onConversation?: (active: boolean) => void;
    /** Bound on starting the session, which waits for the destination to join (so: the ringing, and then some). */
    startTimeoutMs?: number;
    /** How long after the person stops talking over the briefing a transcript may still come. */
    bargeInGraceMs?: number;
  } & BriefingHooks,
): Promise<BriefingSession> {
  const { models } = options;
  let closed = false;
  let current: voice.SpeechHandle | undefined;
  const speeches = new PlayingSpeech();
  const bargeIn = new BargeIn({
    interrupt: () => {
      if (!current) return;
      const playing = speeches.isFirst(current);
      current.interrupt(true);
      // The framework drops the audio it has queued for the room (up to 200 ms) only once the speech's tasks
      // have stopped; dropped here, the person hears the briefing stop that much sooner. Only if it is the
      // briefing's speech that plays: an uninterruptible one before it goes on.
      if (playing) session.output.audio?.clearBuffer();
    },
    onDecision: (decision) => {
      if (!closed) options.onDecision(decision);
    },
    hasModel: models.llm !== undefined,
    graceMs: options.bargeInGraceMs ?? BARGE_IN_GRACE_MS,
    ...(options.onBargeIn ? { onStopped: options.onBargeIn } : {}),
    ...(options.onUnclear ? { onUnclear: options.onUnclear } : {}),
  });
  // The session's ear: the transcription service, or else the offline recogniser of yes and no (if it can run).
  const offline = !models.stt && models.decisionStt && (await models.decisionStt.available()) ? models.decisionStt : undefined;
  const ear =
    models.stt ??
    offline?.withListener((result) => {
      log().debug({ decision: result.decision, confidence: result.confidence, 'lk.pii.heard': result.heard }, 'offline decision recogniser');
      if (result.decision === 'unsure') bargeIn.unclear();
    });
  const agent = briefingAgent(options.input, options, (text) => bargeIn.turnCompleted(text));
  const session = new voice.AgentSession({
    // Keep hearing the person while the briefing speaks uninterruptibly (by default the framework feeds the
    // STT silence then): a voicemail greeting over the briefing must be transcribed. HeldSpeech answers it.
    turnHandling: { interruption: { discardAudioIfUninterruptible: false } },
    // The briefing's quicker VAD (models.ts), which with the offline recogniser keeps the caller's silence.
    vad: models.briefingVad ?? models.vad,
    tts: models.tts,
    ...(ear ? { stt: ear } : {}),
    ...(models.llm ? { llm: models.llm } : {}),
  });
  session.on(voice.AgentSessionEventTypes.SpeechCreated, (event) => speeches.created(event.speechHandle));
  let personTalking = false;
  let agentTalking = false;
  let active = false;
  let quietSince = Date.now();
  const quietWaiters = new Set<() => void>();
  const report = () => {
    const now = personTalking || agentTalking;
    if (now === active) return;
    active = now;
    if (!now) quietSince = Date.now();
    for (const wake of quietWaiters) wake();
    options.onConversation?.(now);
  };
  session.on(voice.AgentSessionEventTypes.UserStateChanged, (event) => {
    personTalking = event.newState === 'speaking';
    if (personTalking) bargeIn.personStarted();
    else bargeIn.personStopped();
    report();
  });
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, (event) => {
    agentTalking = event.newState === 'speaking' || event.newState === 'thinking';
    report();
  });
  // Words said over speech that could not be stopped (a voicemail greeting over the apology, "send them through"
  // over a re-prompt) are answered once it has been said, with the decision tools available as for any turn.
  const held = new HeldSpeech((text) => {
    if (!closed && !bargeIn.handles(text))
      void Promise.resolve()
        .then(() => session.generateReply({ userInput: text, toolChoice: 'auto' }))
        .catch(() => undefined);
  });
  session.on(voice.AgentSessionEventTypes.UserInputTranscribed, (event) => {
    if (!event.isFinal) return;
    bargeIn.transcribed(event.transcript);
    held.transcribed(event.transcript);
  });
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, (event) => {
    const item = event.item;
    if (item.type === 'message' && item.role === 'user') held.committed(item.textContent ?? '');
  });
  await bounded(
    session.start({
      agent,
      room: options.room,
      inputOptions: { participantIdentity: options.destinationIdentity, closeOnDisconnect: false, audioSampleRate: SESSION_INPUT_RATE },
    }),
    options.startTimeoutMs ?? SESSION_START_TIMEOUT_MS,
    'starting the briefing session',
    () => session.close(),
  );
  // The person's first sound stops the briefing before the VAD's model has heard enough to (sound-onset.ts).
  const stopListening = watchSound(options.room, options.destinationIdentity, { started: () => bargeIn.soundStarted() });
  const quoted = new Set<string>();
  return {
    hears: ear !== undefined,
    async say(text, signal, sayOptions = {}) {
      if (closed) return 'aborted';
      // Without the note the model only lacks what was said; the briefing goes on. Said once, however often the
      // text is said again after an interruption.
      if (sayOptions.fromCaller && !quoted.has(text)) {
        quoted.add(text);
        await quote(agent, saidToColleague(text)).catch(() => undefined);
      }
      if (closed || signal?.aborted) return 'aborted';
      // The person answering usually says "hello?": that must not cut the briefing or the question short for
      // good. The framework never interrupts it; barge-in (when asked for) stops it, and the briefing resumes.
      const handle = session.say(text, {
        allowInterruptions: false,
        ...(sayOptions.fromCaller ? { addToChatCtx: false } : {}),
        ...models.phrases?.audioFor(text),
      });
      const interruptible = sayOptions.bargeIn === true;
      if (interruptible) {
        current = handle;
        bargeIn.open(true);
      }
      // A turn that ends while this plays is skipped by the framework (it cannot be interrupted, as far as the
      // framework knows): one that started before it did, say. Its words are answered once it is over.
      held.speechStarted();
      const aborted = new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      try {
        await Promise.race([handle.waitForPlayout(), aborted]);
      } finally {
        if (interruptible) {
          bargeIn.open(false);
          if (current === handle) current = undefined;
        }
        held.speechEnded();
      }
      if (signal?.aborted || closed) return 'aborted';
      return handle.interrupted ? 'interrupted' : 'played';
    },
    heard: (signal) => bargeIn.heard(signal),
    async quiet(ms, signal) {
      // Quiet for `ms` from now at least: a reply about to start (the model thinking) has its moment to.
      const from = Date.now();
      while (!closed && !signal.aborted) {
        const left = active ? ms : Math.max(quietSince, from) + ms - Date.now();
        if (!active && left <= 0) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.max(left, 50));
          function done() {
            clearTimeout(timer);
            quietWaiters.delete(done);
            signal.removeEventListener('abort', done);
            resolve();
          }
          quietWaiters.add(done);
          signal.addEventListener('abort', done, { once: true });
        });
      }
    },
    interrupt() {
      if (!closed) void Promise.resolve(session.interrupt({ force: true })).catch(() => undefined);
    },
    async close() {
      if (closed) return;
      closed = true;
      stopListening();
      held.close();
      bargeIn.close();
      await settleWithin(session.close(), SESSION_CLOSE_TIMEOUT_MS);
    },
  };
}

/** Adds `content` to the agent's conversation as a system message (it is read, copied and replaced in one tick). */
async function quote(agent: voice.Agent, content: string): Promise<void> {
  const chatCtx = agent.chatCtx.copy();
  chatCtx.addMessage({ role: 'system', content });
  await agent.updateChatCtx(chatCtx);
}
