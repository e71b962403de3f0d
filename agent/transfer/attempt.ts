// One warm transfer, from "please hold" to bridged or back with the agent. The phase machine decides what
// happens (phase.ts); this file only performs its effects against LiveKit and feeds it what it observes:
// SIP progress, keypresses, spoken decisions, hang-ups. Every exit goes through `finish`.
import { randomUUID } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';
import { type RemoteParticipant, Room, RoomEvent } from '@livekit/rtc-node';
import { briefingBody, briefingIntro, callerLeftNotice, reassurance, reprompt } from '../../prompts/briefing.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import type { Models } from '../conversation/models.ts';
import { destinationFields, errorFields, pii, sipFailureFields } from '../../core/pii.ts';
import type { Destination } from '../../settings/destination.ts';
import { bounded, DISCONNECT_TIMEOUT_MS, JOIN_TIMEOUT_MS, ROOM_API_TIMEOUT_MS, SESSION_START_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import { type BriefingSession, startBriefingSession, summarize } from './briefing/session.ts';
import type { Authorisation, AuthorisedDial } from './dial/authorise.ts';
import { dial } from './dial/dial.ts';
import type { EarlyRejoin } from '../takeover/early-rejoin.ts';
import { TransferMachine, type TransferResult } from './state/machine.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import type { TransferEffect, TransferEvent, TransferPhase } from './state/phase.ts';
import { quietly, type LiveKitCredentials, type RoomApi } from '../livekit/room-api.ts';
import { TransferTimeline, type TimelineEntry } from './timeline.ts';
import type { CallerHold } from './hold/caller-hold.ts';
import type { RecordPatch } from './record/store.ts';
import { WRITE_AHEAD_TIMEOUT_MS } from './record/handle.ts';

export const WORKER_IDENTITY = 'warm-transfer-agent';
export const DESTINATION_IDENTITY = 'transfer-destination';
/** How long the summary may take once the destination has answered before the reason is used instead. */
const SUMMARY_GRACE_MS = 1500;
const NOTICE_TIMEOUT_MS = 10_000;
const BRIEFING_CLOSE_WAIT_MS = 2000;
/** How long a resumed briefing waits for the early apology to be queued before starting its session anyway. */
const APOLOGY_QUEUED_WAIT_MS = 3000;

export interface WarmTransferDeps {
  credentials: LiveKitCredentials;
  api: RoomApi;
  caller: { room: Room; identity: string };
  /** The caller's hold, shared by every destination tried for one request. */
  hold: CallerHold;
  /** The check every dial passes first (authorise.ts, bound to the agent's policy). */
  authorise(destination: Destination | undefined): Promise<Authorisation>;
  /** Speaks to the caller (the caller's agent session). */
  sayToCaller(text: string): void;
  /**
   * The transfer is on its way back to the caller: a taken-over job starts the caller's agent session now, so
   * that it is up by the time the caller is off hold and told why, instead of starting at that moment.
   */
  readyCaller?(): void;
  /**
   * True when, after this outcome, another destination will be tried: the caller then stays on hold and
   * is not told this attempt's outcome (the caller of the next attempt says what happens instead).
   */
  willRetry?: (outcome: TransferOutcome) => boolean;
  models: Models;
  ringingTimeoutMs: number;
  decisionTimeoutMs: number;
  /** Epoch milliseconds by which the whole request (every destination tried) must be bridged or over. */
  deadlineAt: number;
  /** Cap on the bridged call (MAX_BRIDGED_CALL_S). */
  maxBridgedMs: number;
  onTimeline?: (entry: TimelineEntry) => void;
  /**
   * Receives the phase at each transition, for the transfer record; resolves once it is written, within a bound
   * (the hold, the dial and the bridge wait for it: write-ahead).
   */
  onRecord?: (patch: RecordPatch) => Promise<void> | void;
  /** The transfer's one id (its record's): the timeline's transferId. A fresh one without. */
  transferId?: string;
  /** Where timeline JSON lines go (default stdout). */
  sink?: (line: string) => void;
}

export interface TransferRequest {
  /** Undefined when a taken-over record's destination could not be read back: it is never dialled. */
  destination: Destination | undefined;
  reason: string;
  transcript: string;
  /** Caller ID the destination sees. */
  fromNumber: string | undefined;
  /** False for an ordinary (cold) transfer: connect as soon as the destination answers. */
  brief: boolean;
  /** Facts the briefing states before any summary, known without a model (a screened keypad transfer's). */
  known?: string;
  /** Set when this job takes over a transfer whose job died (takeover): where to pick it up. */
  resume?: ResumeFrom;
}

/** A transfer record's state, as a new job picks it up. */
export interface ResumeFrom {
  phase: TransferPhase;
  consultationRoom: string;
  /** When the previous owner last wrote or renewed the record: the unattended gap is measured from it. */
  renewedAt: number;
  /** How many times the transfer has been taken over, this time included. */
  resumes: number;
  /** The summary the destination was briefed with, if it was. */
  summary?: string;
  /** Caller and destination are in one room, bridged by the server (Cloud move): nothing to rebuild. */
  bridgedByServer: boolean;
  /** The consultation room joined (and the person apologised to) as soon as the job knew the record. */
  early?: EarlyRejoin;
}

/** Joins `roomName` as the worker (an agent participant that may publish and subscribe). */
export async function joinAsWorker(credentials: LiveKitCredentials, roomName: string): Promise<Room> {
  const token = new AccessToken(credentials.apiKey, credentials.apiSecret, { identity: WORKER_IDENTITY, name: 'Warm transfer agent', ttl: '1h' });
  token.kind = 'agent';
  token.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: true, canPublishData: true });
  const room = new Room();
  const jwt = await token.toJwt();
  await bounded(room.connect(credentials.url, jwt, { autoSubscribe: true, dynacast: false }), JOIN_TIMEOUT_MS, `joining ${roomName}`, () =>
    settleWithin(room.disconnect(), DISCONNECT_TIMEOUT_MS),
  );
  return room;
}

export class WarmTransfer {
  readonly id: string;
  readonly timeline: TransferTimeline;
  readonly machine: TransferMachine;
  readonly consultationRoomName: string;
  #resumedRecorded = false;
  #consultation: Room | undefined;
  /** A taken-over transfer's way back into the consultation room, begun while the caller is put on hold again. */
  #rejoining: Promise<Room> | undefined;
  #briefing: Promise<BriefingSession> | undefined;
  #summary: Promise<string> | undefined;
  readonly #unlisten: (() => void)[] = [];
  #finished = false;
  /** The record's last phase write: an effect that puts someone somewhere waits for it (write-ahead). */
  #recorded: Promise<void> | void = undefined;

  constructor(
    private readonly deps: WarmTransferDeps,
    private readonly request: TransferRequest,
  ) {
    this.id = deps.transferId ?? randomUUID();
    this.consultationRoomName = request.resume?.consultationRoom ?? `wt-${randomUUID()}`;
    this.timeline = new TransferTimeline({ transferId: this.id, ...(deps.sink ? { sink: deps.sink } : {}) });
    if (deps.onTimeline) this.timeline.on('event', deps.onTimeline);
    this.machine = new TransferMachine({
      decisionTimeoutMs: deps.decisionTimeoutMs,
      deadlineAt: deps.deadlineAt,
      maxBridgedMs: deps.maxBridgedMs,
      runEffect: (effect, signal) => this.#perform(effect, signal),
      onError: (error, effect) => this.timeline.record('error', { effect: effect.type, ...errorFields(error) }),
      onTransition: (from, event, to, ignored) => {
        if (!ignored) this.#recorded = deps.onRecord?.({ phase: to });
        if (!ignored && (to.kind === 'ended' || to.kind === 'notifying') && to.outcome !== 'accepted' && from.kind !== to.kind) deps.readyCaller?.();
        // Talk outside the decision wait is expected all the time; it is not news worth a line.
        if (ignored && event.type !== 'conversation') this.timeline.record('ignored', { phase: from.kind, event: event.type });
        else if (event.type === 'max_duration') this.timeline.record('max_duration', { maxBridgedMs: deps.maxBridgedMs });
        else if (event.type === 'decision') this.timeline.record('decision', { choice: event.choice, source: event.source });
        else if (event.type === 'decision_timeout' && to.kind === 'ended') this.timeline.record('decision', { choice: 'reject', source: 'timeout' });
      },
    });
  }

  /** Starts the transfer; resolves at the first of bridged (agent out) or ended (caller back or gone). */
  start(): Promise<'bridged' | 'ended'> {
    const { resume } = this.request;
    this.timeline.record('started', {
      // An unreadable destination of a taken-over record is named as such; it is never dialled.
      ...(this.request.destination ? destinationFields(this.request.destination) : { destinationKind: 'unreadable' }),
      ...(resume ? { resumedFrom: resume.phase.kind } : {}),
      ...pii({ identity: this.deps.caller.identity, roomName: this.deps.caller.room.name ?? '' }),
    });
    this.#summary = resume
      ? Promise.resolve(resume.summary ?? this.request.reason)
      : summarize(this.deps.models.llm, this.request.transcript, this.request.reason, this.deps.ringingTimeoutMs);
    void this.#summary.then((summary) => this.deps.onRecord?.({ summary }));
    this.#watchCaller(this.deps.caller.room);
    if (resume) {
      // Every resume rejoins (phase.ts); joining alongside the hold brings the person back a join sooner,
      // and the job may have joined already, while it connected to the caller's room.
      this.#rejoining = resume.early?.take() ?? joinAsWorker(this.deps.credentials, this.consultationRoomName);
      this.#rejoining.catch(() => undefined); // its failure is the rejoin effect's to report
      this.#send({ type: 'resume', phase: resume.phase, bridgedByServer: resume.bridgedByServer });
      // The caller hung up while nobody was watching: the transfer carries on without them (the person is told).
      // (On Cloud a bridged caller is in the consultation room, where the rejoin's watch looks for them.)
      if (!resume.bridgedByServer && !this.deps.caller.room.remoteParticipants.has(this.deps.caller.identity)) this.#send({ type: 'caller_left' });
    } else {
      this.#send({ type: 'start' });
    }
    return this.machine.settled;
  }

  /** A taken-over transfer is attended again: the caller hears music (or the person is spoken to) from here. */
  #recordResumed(): void {
    const resume = this.request.resume;
    if (!resume || this.#resumedRecorded) return;
    this.#resumedRecorded = true;
    this.timeline.record('resumed', { phase: resume.phase.kind, gapMs: Date.now() - resume.renewedAt, resumes: resume.resumes });
  }

  get done(): Promise<TransferResult> {
    return this.machine.done;
  }

  get phase(): TransferPhase['kind'] {
    return this.machine.phase.kind;
  }

  /** The caller asked to stop waiting (keypad 0 on hold). */
  cancel(): void {
    this.#send({ type: 'cancel' });
  }

  #send(event: TransferEvent): void {
    void this.machine.send(event);
  }

  #callerIsIn(room: Room): boolean {
    const topology = this.deps.hold.topology;
    return !topology || topology.kind === 'bridge' || topology.callerRoomName === room.name;
  }

  #listen(room: Room, event: RoomEvent, listener: (...args: never[]) => void): void {
    room.on(event, listener as never);
    this.#unlisten.push(() => room.off(event, listener as never));
  }

  async #perform(effect: TransferEffect, signal: AbortSignal): Promise<void> {
    switch (effect.type) {
      case 'hold': {
        await this.#writtenAhead();
        const wasHolding = this.deps.hold.holding;
        const topology = await this.deps.hold.hold();
        // On Cloud the caller waits in a hold room of its own: a hang-up there must end the transfer too.
        const heldIn = topology.heldIn();
        if (heldIn && heldIn !== this.deps.caller.room) this.#watchCaller(heldIn);
        this.timeline.record('hold_started', { topology: topology.kind, alreadyOnHold: wasHolding });
        this.#recordResumed();
        return;
      }
      case 'rejoin':
        return this.#rejoin(signal);
      case 'reassure': {
        if (!this.request.brief) {
          // An ordinary transfer connects at the answer; it was only interrupted on its way there.
          this.#send({ type: 'decision', choice: 'accept', source: 'keypad' });
          return;
        }
        // The apology may have been said already, on a track of its own, while this session started.
        const [briefing, apologised] = await Promise.all([this.#briefing!, this.request.resume?.early?.apologised ?? false]);
        const text = reassurance({ apologised });
        await briefing.say(text, signal);
        if (signal.aborted) return;
        this.timeline.record('prompted', { 'lk.pii.briefing': text, resumed: true, apologisedFirst: apologised });
        this.#send({ type: 'prompted' });
        return;
      }
      case 'unhold':
        if (!this.#retrying()) await this.deps.hold.unhold();
        return;
      case 'dial':
        return this.#dial(signal);
      case 'cancel_dial':
      case 'hang_up_destination':
        await quietly(this.deps.api.removeParticipant(this.consultationRoomName, DESTINATION_IDENTITY));
        return;
      case 'hang_up_caller': {
        // Wherever the caller is now: moved into the consultation room on Cloud, in their own room on the bridge.
        const topology = this.deps.hold.topology;
        const room = topology
          ? topology.callerRoomName
          : this.request.resume?.bridgedByServer ? this.consultationRoomName : this.deps.caller.room.name!;
        await quietly(this.deps.api.removeParticipant(room, this.deps.caller.identity));
        return;
      }
      case 'brief':
        return this.#brief(signal);
      case 'reprompt': {
        this.timeline.record('reprompted', { reason: effect.reason });
        await (await this.#briefing)?.say(reprompt(effect.reason), signal);
        return;
      }
      case 'bridge': {
        // The briefing agent falls silent at once; closing its session can take a while, so it runs
        // alongside the connection rather than before it.
        const briefing = await this.#briefing;
        briefing?.interrupt();
        const closing = Promise.resolve(briefing?.close()).catch(() => undefined);
        try {
          await this.#writtenAhead();
          await this.deps.hold.connect(this.#consultation!, DESTINATION_IDENTITY);
          // Caller and destination hear each other from here, whatever the briefing session still tidies up:
          // the transfer is bridged now, so a hang-up while it closes ends an accepted call.
          this.timeline.record('bridged', { topology: this.deps.hold.topology!.kind });
          this.#send({ type: 'bridge_ready' });
        } finally {
          await closing;
        }
        return;
      }
      case 'tell_destination_caller_left': {
        const phase = this.machine.phase;
        const outcome: TransferOutcome = phase.kind === 'notifying' ? phase.outcome : 'caller_hung_up';
        const briefing = await this.#briefing;
        briefing?.interrupt();
        // Not over a takeover's apology, which may still be playing on its own track.
        await settleWithin(this.request.resume?.early?.apologised, NOTICE_TIMEOUT_MS);
        await briefing?.say(callerLeftNotice(outcome), AbortSignal.any([signal, AbortSignal.timeout(NOTICE_TIMEOUT_MS)]));
        this.#send({ type: 'notice_done' });
        return;
      }
      case 'tell_caller': {
        if (this.deps.willRetry?.(effect.outcome)) return;
        const message = callerMessage(effect.outcome);
        if (message) this.deps.sayToCaller(message);
        return;
      }
      case 'finish':
        return this.#finish(effect.outcome);
      case 'arm_decision_timer':
      case 'disarm_decision_timer':
        return; // the machine keeps its own timers
    }
  }

  async #dial(signal: AbortSignal): Promise<void> {
    // Before any room is made: a refused destination costs nothing but the caller's way back.
    const authorised = await this.#authorise();
    if (!authorised || signal.aborted) return;
    await this.#writtenAhead();
    const { api } = this.deps;
    await api.createRoom(this.consultationRoomName, { emptyTimeoutS: 60, maxParticipants: 3 });
    const room = await joinAsWorker(this.deps.credentials, this.consultationRoomName);
    this.#consultation = room;
    this.#watchConsultation(room);
    this.#startBriefing(room);
    await this.#dialInto(room, authorised, signal);
  }

  /**
   * The destination as authoriseDial passed it; undefined when refused, and then the transfer ends as a failed
   * dial would (the caller back and told, or the next destination tried), with the reason in the timeline.
   */
  async #authorise(): Promise<AuthorisedDial | undefined> {
    const { destination } = this.request;
    const result = await this.deps.authorise(destination);
    if (result.ok) return result.dial;
    this.timeline.record('refused', {
      refusal: result.refusal,
      why: result.why,
      ...(destination ? destinationFields(destination) : { destinationKind: 'unreadable' }),
      ...(result.address ? { 'lk.pii.address': result.address } : {}),
    });
    this.#send({ type: 'dial_failed', reason: 'dial_failed' });
    return undefined;
  }

  /**
   * Takeover: back into the consultation room the dead job left, to find the destination where it was. Still
   * ringing: wait for the answer (the watch sees the SIP leg turn active); gone before answering: dial again;
   * answered: brief from the start. Past the answer, a destination that has left ends the transfer.
   */
  async #rejoin(signal: AbortSignal): Promise<void> {
    const joining = this.#rejoining ?? joinAsWorker(this.deps.credentials, this.consultationRoomName);
    const joined = await this.#joinUnlessDestinationGone(joining);
    if (joined === 'destination_gone') {
      // Owned here from the take: a join that still completes is let go at once.
      void joining.then((late) => settleWithin(late.disconnect(), DISCONNECT_TIMEOUT_MS)).catch(() => undefined);
      this.#recordResumed();
      this.timeline.record('participant_left', { side: 'destination', whileUnattended: true });
      this.#send({ type: 'destination_left' });
      return;
    }
    const room = joined;
    this.#consultation = room;
    this.#watchConsultation(room);
    // The phase now, not the one rejoin was declared for: the caller may have hung up meanwhile.
    const phase = this.machine.phase;
    const destination = room.remoteParticipants.get(DESTINATION_IDENTITY);
    if (phase.kind === 'ended') return;
    if (phase.kind === 'dialing') {
      if (!destination) {
        this.timeline.record('redialing', { reason: 'the destination was no longer on the line' });
        // The destination came from the record in Redis: it is checked like any other before it is dialled.
        const authorised = await this.#authorise();
        if (!authorised || signal.aborted) return;
        this.#startBriefing(room);
        try {
          await this.#dialInto(room, authorised, signal);
        } catch (error) {
          // As for a first dial: once the phase has moved on (the answer seen by the watch), the dial's own
          // ending is news nobody waits for; before that, it is a failed dial, not a failed takeover.
          if (signal.aborted) return;
          this.timeline.record('error', { effect: 'dial', ...errorFields(error) });
          this.#send({ type: 'dial_failed', reason: 'dial_failed' });
        }
        return;
      }
      this.#startBriefing(room);
      if (destination.attributes['sip.callStatus'] === 'active') this.#answered(room);
      return;
    }
    if (!destination) {
      this.#recordResumed();
      this.timeline.record('participant_left', { side: 'destination', whileUnattended: true });
      this.#send({ type: 'destination_left' });
      return;
    }
    if (phase.kind === 'briefing' || phase.kind === 'notifying') {
      // The apology first: starting the session takes the process's CPU for a second, which would delay it.
      await settleWithin(this.request.resume?.early?.queued, APOLOGY_QUEUED_WAIT_MS);
      // Meanwhile the person may have pressed 1 (a bridge needs no briefing) or the caller hung up (the notice does).
      const now = this.machine.phase.kind;
      if (now === 'briefing' || now === 'notifying') this.#startBriefing(room);
    }
    if (phase.kind === 'notifying' || phase.kind === 'bridged') this.#recordResumed();
  }

  /**
   * Past the answer, a destination who hung up while nobody attended leaves the consultation room empty, and
   * joining an emptied room can outlast its bound on a loaded machine. The server is asked who is there
   * alongside the join: a definite "not there" settles it at once; any other answer waits for the join.
   */
  async #joinUnlessDestinationGone(joining: Promise<Room>): Promise<Room | 'destination_gone'> {
    const ask = this.deps.api.participantIdentities;
    if (this.machine.phase.kind === 'dialing' || !ask) return joining;
    const gone = bounded(ask.call(this.deps.api, this.consultationRoomName), ROOM_API_TIMEOUT_MS, 'listing the consultation room')
      .then((who) => who === 'no_room' || !who.includes(DESTINATION_IDENTITY))
      .catch(() => false);
    const settled = (async (): Promise<Room | 'destination_gone'> => ((await gone) ? 'destination_gone' : joining))();
    return Promise.race([joining, settled]);
  }

  /** Write-ahead: the record says what the next effect is about to do (its phase) before it is done. */
  async #writtenAhead(): Promise<void> {
    await settleWithin(Promise.resolve(this.#recorded), WRITE_AHEAD_TIMEOUT_MS);
  }

  #answered(room: Room): void {
    this.timeline.record('answered', {});
    this.deps.hold.prepare(room);
    this.#send({ type: 'answered' });
  }

  #startBriefing(room: Room): void {
    if (!this.request.brief || this.#briefing) return;
    this.#briefing = startBriefingSession({
      room,
      destinationIdentity: DESTINATION_IDENTITY,
      models: this.deps.models,
      input: { reason: this.request.reason, summary: this.request.reason, transcript: this.request.transcript },
      onDecision: (decision) =>
        this.#send(decision === 'voicemail' ? { type: 'voicemail' } : { type: 'decision', choice: decision, source: 'voice' }),
      onUnconfirmedAccept: () => this.timeline.record('unconfirmed_accept', { phase: this.machine.phase.kind }),
      onConversation: (active) => this.#send({ type: 'conversation', active }),
      startTimeoutMs: this.deps.ringingTimeoutMs + SESSION_START_TIMEOUT_MS,
    });
    this.#briefing.catch(() => undefined);
  }

  async #dialInto(room: Room, authorised: AuthorisedDial, signal: AbortSignal): Promise<void> {
    this.timeline.record('dialing', { ...destinationFields(authorised.destination), ...pii({ phoneNumber: this.request.fromNumber ?? '' }) });
    const result = await dial(
      this.deps.credentials,
      {
        dial: authorised,
        room: this.consultationRoomName,
        identity: DESTINATION_IDENTITY,
        fromNumber: this.request.fromNumber,
        ringingTimeoutMs: this.deps.ringingTimeoutMs,
      },
      signal,
    );
    if (result.ok) {
      this.#answered(room);
    } else {
      this.timeline.record('returned', { reason: result.reason, ...sipFailureFields(result) });
      this.#send({ type: 'dial_failed', reason: result.reason, ...(result.sipStatus ? { sipStatus: result.sipStatus } : {}) });
    }
  }

  #watchConsultation(room: Room): void {
    this.#listen(room, RoomEvent.ParticipantAttributesChanged, (changed: Record<string, string>, p: RemoteParticipant) => {
      if (p.identity !== DESTINATION_IDENTITY) return;
      if (changed['sip.callStatus'] === 'ringing') {
        this.timeline.record('ringing', {});
        this.#send({ type: 'ringing' });
      }
      // Taken over while ringing: nobody awaits the dial's answer any more, so the SIP leg's status says it.
      if (changed['sip.callStatus'] === 'active' && this.request.resume && this.machine.phase.kind === 'dialing') this.#answered(room);
    });
    this.#listen(room, RoomEvent.DtmfReceived, (_code: number, digit: string, p: RemoteParticipant) => {
      // Only the destination decides; the caller's keys (forwarded after a bridge) never do.
      if (p.identity !== DESTINATION_IDENTITY) return;
      if (digit === '1') this.#send({ type: 'decision', choice: 'accept', source: 'keypad' });
      else if (digit === '9') this.#send({ type: 'decision', choice: 'reject', source: 'keypad' });
      else this.#send({ type: 'invalid_key', digit });
    });
    this.#listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      if (p.identity !== DESTINATION_IDENTITY) return;
      this.timeline.record('participant_left', { side: 'destination' });
      // A taken-over dial has no answer to wait for: the leg ending before it was answered is its result.
      if (this.request.resume && this.machine.phase.kind === 'dialing') this.#send({ type: 'dial_failed', reason: 'no_answer' });
      else this.#send({ type: 'destination_left' });
    });
    this.#watchCaller(room);
  }

  /** The caller hanging up in `room`, while that is the room they are in, ends the transfer. */
  #watchCaller(room: Room): void {
    this.#listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      if (p.identity === this.deps.caller.identity && this.#callerIsIn(room)) this.#send({ type: 'caller_left' });
    });
  }

  /** Whether the outcome this transfer is ending with sends the caller on to another destination. */
  #retrying(): boolean {
    const phase = this.machine.phase;
    const outcome = phase.kind === 'ended' || phase.kind === 'notifying' ? phase.outcome : undefined;
    return outcome !== undefined && (this.deps.willRetry?.(outcome) ?? false);
  }

  async #brief(signal: AbortSignal): Promise<void> {
    if (!this.request.brief) {
      this.#send({ type: 'decision', choice: 'accept', source: 'keypad' });
      return;
    }
    const briefing = await this.#briefing!;
    this.timeline.record('briefing_started', {});
    // The introduction goes out at once; the summary (prepared while the phone rang) follows it.
    const intro = briefing.say(briefingIntro(), signal);
    const summary = await Promise.race([
      this.#summary!,
      new Promise<string>((resolve) => setTimeout(() => resolve(this.request.reason), SUMMARY_GRACE_MS)),
    ]);
    await intro;
    if (signal.aborted) return;
    const body = briefingBody({ summary, known: this.request.known });
    await briefing.say(body, signal, { fromCaller: true });
    if (signal.aborted) return;
    this.timeline.record('prompted', { 'lk.pii.briefing': body });
    this.#send({ type: 'prompted' });
  }

  async #finish(outcome: TransferOutcome): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    // A briefing session may still be starting (it waits for the destination to join, which a busy or
    // unanswered destination never does): close it whenever it is up, without waiting for that here.
    // The three are independent (deleting the room ends every leg in it anyway): side by side, the end is
    // as late as the slowest of them, not their sum, on a machine that is slow to answer.
    const closing = this.#briefing?.then((briefing) => briefing.close()).catch(() => undefined);
    await Promise.all([
      settleWithin(closing, BRIEFING_CLOSE_WAIT_MS),
      settleWithin(this.#consultation?.disconnect(), DISCONNECT_TIMEOUT_MS),
      quietly(this.deps.api.deleteRoom(this.consultationRoomName)),
    ]);
    this.timeline.record('ended', { outcome });
  }
}
