// The consultation room: where the worker and the person being asked meet, apart from the caller. This file
// joins it as the worker, dials the person into it, and watches it: ringing, the answer, the person leaving,
// and the caller leaving. The briefing and the decision happen in it (briefing/, decision.ts); on Cloud the
// bridge moves the person out of it into the caller's room (bridge/), where they are watched from then on.
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { pii, sipFailureFields } from '../../core/pii.ts';
import { destinationFields } from '../../settings/destination.ts';
import { DISCONNECT_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import type { Destination } from '../../settings/destination.ts';
import { quietly, type RoomApi } from '../livekit/room-api.ts';
import type { AttemptContext } from './attempt-context.ts';
import { listenForKeys } from './decision.ts';
import type { Authorisation, AuthorisedDial } from './dial/authorise.ts';
import type { CallerHold } from './hold/caller-hold.ts';
import type { TransferLinks } from './links.ts';

export const DESTINATION_IDENTITY = 'transfer-destination';
/** How often an abandoned dial's leg is looked for, and how long past its ringing time. */
const SWEEP_EVERY_MS = 1000;
const SWEEP_GRACE_MS = 5000;

export interface ConsultationOptions {
  context: AttemptContext;
  links: TransferLinks;
  api: RoomApi;
  /** The consultation room's name: new for a first attempt, the record's for a taken-over one. */
  name: string;
  caller: { identity: string };
  hold: CallerHold;
  /** Undefined when a taken-over record's destination could not be read back: it is never dialled. */
  destination: Destination | undefined;
  /** A taken-over transfer the server had bridged: the room the person is in with the caller. */
  bridgedIn?: string | undefined;
  /** The check every dial passes first (authorise.ts, bound to the agent's policy). */
  authorise(destination: Destination | undefined): Promise<Authorisation>;
  /** Caller ID the destination sees. */
  fromNumber: string | undefined;
  ringingTimeoutMs: number;
  /**
   * True for a taken-over attempt: nobody awaits the dead job's dial, so the SIP leg's own status is its
   * answer (active) or its failure (gone before it was answered).
   */
  resumed: boolean;
  /** The room has been joined: the briefing session can start, so it is up when the person answers. */
  onJoined(room: Room): void;
}

export class Consultation {
  #room: Room | undefined;

  constructor(private readonly options: ConsultationOptions) {}

  get name(): string {
    return this.options.name;
  }

  /** The room as joined by the worker; undefined until it is. */
  get room(): Room | undefined {
    return this.#room;
  }

  /** The dial effect: the person authorised, the room made and joined, then dialled into it. */
  async dial(signal: AbortSignal): Promise<void> {
    // Before any room is made: a refused destination costs nothing but the caller's way back.
    const authorised = await this.authorise();
    if (!authorised || signal.aborted) return;
    await this.options.api.createRoom(this.name, { emptyTimeoutS: 60, maxParticipants: 3 });
    const room = await this.options.links.join(this.name);
    if (this.#endedDuring(signal)) {
      // The transfer ended while the room was made (the caller hung up): close() may have deleted it already,
      // and this join made it again.
      await Promise.all([settleWithin(room.disconnect(), DISCONNECT_TIMEOUT_MS), quietly(this.options.api.deleteRoom(this.name))]);
      return;
    }
    this.adopt(room);
    this.options.onJoined(room);
    await this.dialInto(authorised, signal);
  }

  /** Takes `room` (joined here, or by a takeover) as the consultation, and watches it. */
  adopt(room: Room): void {
    this.#room = room;
    this.#watch(room);
  }

  /**
   * The destination as authoriseDial passed it; undefined when refused, and then the transfer ends as a failed
   * dial would (the caller back and told, or the next destination tried), with the reason in the timeline.
   */
  async authorise(): Promise<AuthorisedDial | undefined> {
    const { destination, context } = this.options;
    const result = await this.options.authorise(destination);
    if (result.ok) return result.dial;
    context.timeline.record('refused', {
      refusal: result.refusal,
      why: result.why,
      ...(destination ? destinationFields(destination) : { destinationKind: 'unreadable' }),
      ...(result.address ? { 'lk.pii.address': result.address } : {}),
    });
    context.send({ type: 'dial_failed', reason: 'dial_failed' });
    return undefined;
  }

  /** Dials the person into the joined room; resolves once they have answered or the dial has failed. */
  async dialInto(authorised: AuthorisedDial, signal: AbortSignal): Promise<void> {
    const { context, fromNumber } = this.options;
    context.timeline.record('dialing', { ...destinationFields(authorised.destination), ...pii({ phoneNumber: fromNumber ?? '' }) });
    const result = await this.options.links.dial(
      {
        dial: authorised,
        room: this.name,
        identity: DESTINATION_IDENTITY,
        fromNumber,
        ringingTimeoutMs: this.options.ringingTimeoutMs,
        abandoned: (answered) => void (this.#endedDuring(signal) && this.#sweep(answered)),
      },
      signal,
    );
    if (result.ok) {
      this.answered();
    } else {
      context.timeline.record('returned', { reason: result.reason, ...sipFailureFields(result) });
      context.send({ type: 'dial_failed', reason: result.reason, ...(result.sipStatus ? { sipStatus: result.sipStatus } : {}) });
    }
  }

  /** The person picked up: the hold gets ready to connect them (silently), and the machine moves to the briefing. */
  answered(): void {
    this.options.context.timeline.record('answered', {});
    this.options.hold.prepare(this.#room!);
    this.options.context.send({ type: 'answered' });
  }

  /** The room the person is in: this one, until a move to the caller's room is asked (or was, before a takeover). */
  get personRoomName(): string {
    return this.options.hold.personRoomName ?? this.options.bridgedIn ?? this.name;
  }

  /**
   * The person's line is closed (a dial still ringing is cancelled); they may already have gone. Mid-move
   * they may be in either room, so both are asked.
   */
  async hangUpDestination(): Promise<void> {
    const rooms = new Set([this.name, this.personRoomName]);
    await Promise.all([...rooms].map((room) => quietly(this.options.api.removeParticipant(room, DESTINATION_IDENTITY))));
  }

  /** The person leaving `room` (the caller's, once moved there) ends the transfer as any hang-up of theirs. */
  watchPersonIn(room: Room): void {
    const { context, resumed } = this.options;
    context.listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      // Leaving a room they were moved out of (or are being moved out of) is no hang-up.
      if (p.identity !== DESTINATION_IDENTITY || this.personRoomName !== room.name) return;
      context.timeline.record('participant_left', { side: 'destination' });
      // A taken-over dial has no answer to wait for: the leg ending before it was answered is its result.
      if (resumed && context.phase().kind === 'dialing') context.send({ type: 'dial_failed', reason: 'no_answer' });
      else context.send({ type: 'destination_left' });
    });
  }

  /** The worker leaves the room and leaves it as it is (the person talks on, carried by someone else). */
  async leave(): Promise<void> {
    await settleWithin(this.#room?.disconnect(), DISCONNECT_TIMEOUT_MS);
  }

  /** The worker leaves and the room goes, side by side; the listeners were removed with the attempt's. */
  async close(): Promise<void> {
    await Promise.all([settleWithin(this.#room?.disconnect(), DISCONNECT_TIMEOUT_MS), quietly(this.options.api.deleteRoom(this.name))]);
  }

  /**
   * The transfer ended while this effect ran. Only that: a taken-over leg dialled again may be seen answering
   * by the room's watch first, which moves the transfer on to the briefing and aborts the dial as well.
   */
  #endedDuring(signal: AbortSignal): boolean {
    return signal.aborted && this.options.context.phase().kind === 'ended';
  }

  /**
   * A dial given up in flight (the caller hung up as it left) may still reach the person: livekit-sip rings
   * them and puts them in the room, making it again if close() deleted it, where nobody would ever speak to
   * them. Until the dial settles their leg is removed whenever it is there (a ringing one is cancelled), and
   * then the room is deleted once more.
   */
  async #sweep(answered: Promise<boolean>): Promise<void> {
    const { api, ringingTimeoutMs } = this.options;
    let settled = false;
    void answered.then(() => (settled = true));
    const until = Date.now() + ringingTimeoutMs + SWEEP_GRACE_MS;
    while (!settled && Date.now() < until) {
      await Promise.race([answered, new Promise((r) => setTimeout(r, SWEEP_EVERY_MS))]);
      await quietly(api.removeParticipant(this.name, DESTINATION_IDENTITY));
    }
    await quietly(api.deleteRoom(this.name));
  }

  #watch(room: Room): void {
    const { context, resumed } = this.options;
    context.listen(room, RoomEvent.ParticipantAttributesChanged, (changed: Record<string, string>, p: RemoteParticipant) => {
      if (p.identity !== DESTINATION_IDENTITY) return;
      if (changed['sip.callStatus'] === 'ringing') {
        context.timeline.record('ringing', {});
        context.send({ type: 'ringing' });
      }
      // Taken over while ringing: nobody awaits the dial's answer any more, so the SIP leg's status says it.
      if (changed['sip.callStatus'] === 'active' && resumed && context.phase().kind === 'dialing') this.answered();
    });
    listenForKeys(room, DESTINATION_IDENTITY, context);
    this.watchPersonIn(room);
    // Bridged by a server move before this version kept the caller home: the caller is in this room.
    if (this.options.bridgedIn === this.name) watchCaller(room, this.options);
  }
}

/** The caller hanging up in `room` ends the transfer. */
export function watchCaller(room: Room, options: Pick<ConsultationOptions, 'context' | 'caller'>): void {
  const { context, caller } = options;
  context.listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
    if (p.identity === caller.identity) context.send({ type: 'caller_left' });
  });
}
