// One attempt to transfer the caller to one destination, from "please hold" to bridged or back with the agent.
// The phase machine decides what happens (state/phase.ts); this class performs its effects, each through the
// part whose job it is: the caller's hold (hold/), the consultation room and the dial (consultation.ts), what
// the person hears (briefing/script.ts), the connection (bridge/), and a takeover's way back (takeover/rejoin.ts).
// The parts report what they observe as events (decision.ts turns keys and words into one). Every exit goes
// through `finish`.
import { randomUUID } from 'node:crypto';
import type { Room, RoomEvent } from '@livekit/rtc-node';
import { callerMessage } from '../../prompts/outcomes.ts';
import { errorFields, pii } from '../../core/pii.ts';
import { destinationFields } from '../../settings/destination.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import { settleWithin } from '../../core/bounded.ts';
import { WRITE_AHEAD_TIMEOUT_MS } from './record/handle.ts';
import { quietly } from '../livekit/room-api.ts';
import { Rejoin } from '../takeover/rejoin.ts';
import type { AttemptContext, AttemptDeps, AttemptRequest } from './attempt-context.ts';
import { BriefingScript } from './briefing/script.ts';
import { connectCallerAndPerson } from './bridge/connect.ts';
import { Consultation, DESTINATION_IDENTITY, watchCaller } from './consultation.ts';
import { TransferMachine, type TransferResult } from './state/machine.ts';
import type { TransferEffect, TransferEvent, TransferPhase } from './state/phase.ts';
import { TransferTimeline } from './timeline.ts';

export class TransferAttempt {
  readonly id: string;
  readonly timeline: TransferTimeline;
  readonly machine: TransferMachine;
  readonly #context: AttemptContext;
  readonly #consultation: Consultation;
  readonly #briefing: BriefingScript;
  readonly #rejoin: Rejoin;
  readonly #unlisten: (() => void)[] = [];
  #resumedRecorded = false;
  /** The record's last phase write: an effect that puts someone somewhere waits for it (write-ahead). */
  #recorded: Promise<void> | void = undefined;
  #finished = false;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly request: AttemptRequest,
  ) {
    this.id = deps.transferId ?? randomUUID();
    this.timeline = new TransferTimeline({ transferId: this.id, ...(deps.sink ? { sink: deps.sink } : {}) });
    if (deps.onTimeline) this.timeline.on('event', deps.onTimeline);
    this.machine = new TransferMachine({
      decisionTimeoutMs: deps.decisionTimeoutMs,
      deadlineAt: deps.deadlineAt,
      maxBridgedMs: deps.maxBridgedMs,
      runEffect: (effect, signal) => this.#perform(effect, signal),
      onError: (error, effect) => this.timeline.record('error', { effect: effect.type, ...errorFields(error) }),
      onTransition: (from, event, to, ignored) => this.#transitioned(from, event, to, ignored),
    });
    this.#context = {
      timeline: this.timeline,
      phase: () => this.machine.phase,
      send: (event) => this.#send(event),
      listen: (room, event, listener) => this.#listen(room, event, listener),
    };
    const { resume } = request;
    this.#briefing = new BriefingScript({
      context: this.#context,
      startBriefing: deps.links.startBriefing,
      models: deps.models,
      brief: request.brief,
      reason: request.reason,
      transcript: request.transcript,
      known: request.known,
      personIdentity: DESTINATION_IDENTITY,
      ringingTimeoutMs: deps.ringingTimeoutMs,
      resumed: resume && { summary: resume.summary, early: resume.early },
    });
    this.#consultation = new Consultation({
      context: this.#context,
      links: deps.links,
      api: deps.api,
      name: resume?.consultationRoom ?? `wt-${randomUUID()}`,
      caller: deps.caller,
      hold: deps.hold,
      destination: request.destination,
      bridgedIn: resume?.bridgedIn,
      authorise: (destination) => deps.authorise(destination),
      fromNumber: request.fromNumber,
      ringingTimeoutMs: deps.ringingTimeoutMs,
      resumed: resume !== undefined,
      onJoined: (room) => this.#briefing.open(room),
    });
    this.#rejoin = new Rejoin({
      context: this.#context,
      links: deps.links,
      api: deps.api,
      consultation: this.#consultation,
      callerRoom: deps.caller.room,
      bridgedInCallerRoom: resume?.bridgedIn !== undefined && resume.bridgedIn === deps.caller.room.name,
      briefing: this.#briefing,
      early: resume?.early,
      onAttended: () => this.#recordResumed(),
    });
  }

  get consultationRoomName(): string {
    return this.#consultation.name;
  }

  /** Starts the transfer; resolves at the first of bridged (agent out) or ended (caller back or gone). */
  start(): Promise<'bridged' | 'ended'> {
    const { resume, destination } = this.request;
    const { caller } = this.deps;
    this.timeline.record('started', {
      // An unreadable destination of a taken-over record is named as such; it is never dialled.
      ...(destination ? destinationFields(destination) : { destinationKind: 'unreadable' }),
      ...(resume ? { resumedFrom: resume.phase.kind } : {}),
      ...pii({ identity: caller.identity, roomName: caller.room.name ?? '' }),
    });
    void this.#briefing.prepareSummary().then((summary) => this.deps.onRecord?.({ summary }));
    this.#watchCaller(caller.room);
    // On Cloud the accept moves the person into the caller's room: their hang-up is seen there from then on.
    this.#consultation.watchPersonIn(caller.room);
    if (resume) {
      this.#rejoin.begin();
      this.#send({ type: 'resume', phase: resume.phase, bridgedByServer: resume.bridgedIn !== undefined });
      // The caller hung up while nobody was watching: the transfer carries on without them (the person is told).
      // (A caller bridged by an older version's move is in the consultation room, where its watch looks for them.)
      if (this.#callerRoomName() === caller.room.name && !caller.room.remoteParticipants.has(caller.identity)) this.#send({ type: 'caller_left' });
    } else {
      this.#send({ type: 'start' });
    }
    return this.machine.settled;
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

  async #perform(effect: TransferEffect, signal: AbortSignal): Promise<void> {
    switch (effect.type) {
      case 'hold':
        return this.#hold();
      case 'rejoin':
        return this.#rejoin.run(signal);
      case 'reassure':
        return this.#briefing.reassure(signal);
      case 'unhold':
        if (!this.#retrying()) await this.deps.hold.unhold();
        return;
      case 'dial':
        await this.#writtenAhead();
        return this.#consultation.dial(signal);
      case 'cancel_dial':
      case 'hang_up_destination':
        return this.#consultation.hangUpDestination();
      case 'hang_up_caller':
        await quietly(this.deps.api.removeParticipant(this.#callerRoomName(), this.deps.caller.identity));
        return;
      case 'brief':
        return this.#briefing.brief(signal);
      case 'reprompt':
        return this.#briefing.reprompt(effect.reason, signal);
      case 'bridge':
        await this.#writtenAhead();
        return connectCallerAndPerson({
          context: this.#context,
          hold: this.deps.hold,
          consultation: this.#consultation.room!,
          personIdentity: DESTINATION_IDENTITY,
          briefing: this.#briefing.session,
        });
      case 'tell_destination_caller_left': {
        const phase = this.machine.phase;
        return this.#briefing.tellCallerLeft(phase.kind === 'notifying' ? phase.outcome : 'caller_hung_up', signal);
      }
      case 'tell_caller':
        return this.#tellCaller(effect.outcome);
      case 'finish':
        return this.#finish(effect.outcome);
      case 'arm_decision_timer':
      case 'disarm_decision_timer':
        return; // the machine keeps its own timers
    }
  }

  async #hold(): Promise<void> {
    const { hold } = this.deps;
    await this.#writtenAhead();
    const wasHolding = hold.holding;
    const topology = await hold.hold();
    this.timeline.record('hold_started', { topology: topology.kind, alreadyOnHold: wasHolding });
    this.#recordResumed();
  }

  /** Write-ahead: the record says what the next effect is about to do (its phase) before it is done. */
  async #writtenAhead(): Promise<void> {
    await settleWithin(Promise.resolve(this.#recorded), WRITE_AHEAD_TIMEOUT_MS);
  }

  #tellCaller(outcome: TransferOutcome): void {
    if (this.deps.willRetry?.(outcome)) return;
    const message = callerMessage(outcome);
    if (message) this.deps.sayToCaller(message);
  }

  /** The caller's own room, but for a call an older version bridged by moving them into the consultation room. */
  #callerRoomName(): string {
    return this.request.resume?.bridgedIn ?? this.deps.caller.room.name!;
  }

  #transitioned(from: TransferPhase, event: TransferEvent, to: TransferPhase, ignored: boolean): void {
    if (!ignored) this.#recorded = this.deps.onRecord?.({ phase: to });
    if (!ignored && (to.kind === 'ended' || to.kind === 'notifying') && to.outcome !== 'accepted' && from.kind !== to.kind) this.deps.readyCaller?.();
    // Talk outside the decision wait is expected all the time; it is not news worth a line.
    if (ignored && event.type !== 'conversation') this.timeline.record('ignored', { phase: from.kind, event: event.type });
    else if (event.type === 'max_duration') this.timeline.record('max_duration', { maxBridgedMs: this.deps.maxBridgedMs });
    else if (event.type === 'decision') this.timeline.record('decision', { choice: event.choice, source: event.source });
    else if (event.type === 'decision_timeout' && to.kind === 'ended') this.timeline.record('decision', { choice: 'reject', source: 'timeout' });
  }

  /** A taken-over transfer is attended again: the caller hears music (or the person is spoken to) from here. */
  #recordResumed(): void {
    const resume = this.request.resume;
    if (!resume || this.#resumedRecorded) return;
    this.#resumedRecorded = true;
    this.timeline.record('resumed', { phase: resume.phase.kind, gapMs: Date.now() - resume.renewedAt, resumes: resume.resumes });
  }

  /** Whether the outcome this transfer is ending with sends the caller on to another destination. */
  #retrying(): boolean {
    const phase = this.machine.phase;
    const outcome = phase.kind === 'ended' || phase.kind === 'notifying' ? phase.outcome : undefined;
    return outcome !== undefined && (this.deps.willRetry?.(outcome) ?? false);
  }

  #send(event: TransferEvent): void {
    void this.machine.send(event);
  }

  #watchCaller(room: Room): void {
    watchCaller(room, { context: this.#context, caller: this.deps.caller });
  }

  #listen(room: Room, event: RoomEvent, listener: (...args: never[]) => void): void {
    room.on(event, listener as never);
    this.#unlisten.push(() => room.off(event, listener as never));
  }

  async standDown(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.machine.release();
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    this.timeline.record('handed_over', { to: 'keeper' });
    await Promise.all([this.#briefing.close(), this.#consultation.leave()]);
  }

  async #finish(outcome: TransferOutcome): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
    // Independent steps (deleting the room ends every leg in it anyway): side by side, the end is as late as
    // the slowest of them, not their sum, on a machine that is slow to answer.
    await Promise.all([this.#briefing.close(), this.#consultation.close()]);
    // `next`: the caller stays on hold while the rule's next destination is tried (the same transfer goes on).
    this.timeline.record('ended', { outcome, ...(this.deps.willRetry?.(outcome) ? { next: 'destination' } : {}) });
  }
}
