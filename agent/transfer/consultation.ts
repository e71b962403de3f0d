// The consultation room: where the worker and the person being asked meet, apart from the caller. This file
// joins it as the worker, dials the person into it, and watches it: ringing, the answer, the person leaving,
// and the caller leaving (here, or in whichever room they are in). The briefing and the decision happen in it
// (briefing/, decision.ts); the bridge may move the caller into it (bridge/).
import { AccessToken } from 'livekit-server-sdk';
import { type RemoteParticipant, Room, RoomEvent } from '@livekit/rtc-node';
import { pii, sipFailureFields } from '../../core/pii.ts';
import { destinationFields } from '../../settings/destination.ts';
import { bounded, DISCONNECT_TIMEOUT_MS, JOIN_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import type { Destination } from '../../settings/destination.ts';
import { quietly, type LiveKitCredentials, type RoomApi } from '../livekit/room-api.ts';
import type { AttemptContext } from './attempt-context.ts';
import { listenForKeys } from './decision.ts';
import type { Authorisation, AuthorisedDial } from './dial/authorise.ts';
import { dial } from './dial/dial.ts';
import type { CallerHold } from './hold/caller-hold.ts';

export const WORKER_IDENTITY = 'warm-transfer-agent';
export const DESTINATION_IDENTITY = 'transfer-destination';

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

export interface ConsultationOptions {
  context: AttemptContext;
  credentials: LiveKitCredentials;
  api: RoomApi;
  /** The consultation room's name: new for a first attempt, the record's for a taken-over one. */
  name: string;
  caller: { identity: string };
  hold: CallerHold;
  /** Undefined when a taken-over record's destination could not be read back: it is never dialled. */
  destination: Destination | undefined;
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
    const room = await joinAsWorker(this.options.credentials, this.name);
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
    const result = await dial(
      this.options.credentials,
      { dial: authorised, room: this.name, identity: DESTINATION_IDENTITY, fromNumber, ringingTimeoutMs: this.options.ringingTimeoutMs },
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

  /** The person's line is closed (a dial still ringing is cancelled); they may already have gone. */
  async hangUpDestination(): Promise<void> {
    await quietly(this.options.api.removeParticipant(this.name, DESTINATION_IDENTITY));
  }

  /** The worker leaves and the room goes, side by side; the listeners were removed with the attempt's. */
  async close(): Promise<void> {
    await Promise.all([settleWithin(this.#room?.disconnect(), DISCONNECT_TIMEOUT_MS), quietly(this.options.api.deleteRoom(this.name))]);
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
    context.listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
      if (p.identity !== DESTINATION_IDENTITY) return;
      context.timeline.record('participant_left', { side: 'destination' });
      // A taken-over dial has no answer to wait for: the leg ending before it was answered is its result.
      if (resumed && context.phase().kind === 'dialing') context.send({ type: 'dial_failed', reason: 'no_answer' });
      else context.send({ type: 'destination_left' });
    });
    watchCaller(room, this.options);
  }
}

/** The caller hanging up in `room`, while that is the room they are in, ends the transfer. */
export function watchCaller(room: Room, options: Pick<ConsultationOptions, 'context' | 'caller' | 'hold'>): void {
  const { context, caller, hold } = options;
  context.listen(room, RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => {
    if (p.identity === caller.identity && callerIsIn(room, hold)) context.send({ type: 'caller_left' });
  });
}

function callerIsIn(room: Room, hold: CallerHold): boolean {
  const topology = hold.topology;
  return !topology || topology.kind === 'bridge' || topology.callerRoomName === room.name;
}
