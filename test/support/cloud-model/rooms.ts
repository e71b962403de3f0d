// LiveKit Cloud's rooms as its server keeps them: who is in which room under which participant SID, when a room
// closes, and what each job's Room hears. The closing rule is livekit-server's Room.CloseIfEmpty; the
// durations are the model's, scaled down so tests are quick.
import { DisconnectReason, ParticipantKind, RoomEvent, type RemoteParticipant } from '@livekit/rtc-node';
import { AgentRoom } from './agent-room.ts';
import { processDead } from './errors.ts';

/** The worker's joins are agents; phones (the caller, the person dialled) are SIP participants. */
export type Kind = 'agent' | 'sip';

export interface Member {
  readonly identity: string;
  readonly kind: Kind;
  sid: string;
  readonly attributes: Record<string, string>;
  /** How the others in its room see it: a new object in each room, as each room gives a new SID. */
  remote: RemoteParticipant;
  /** An agent's job, and the Room that job's process holds. */
  readonly job?: string;
  view?: AgentRoom;
  /** Told when the participant is gone other than by a move (a dial still ringing settles with it). */
  onGone?: ((why: string) => void) | undefined;
}

export interface CloudRoom {
  readonly name: string;
  readonly members: Map<string, Member>;
  readonly createdAt: number;
  /** A non-agent has been in the room: the server's FirstJoinedAt, which agents' joins do not set. */
  hadNonAgent: boolean;
  closing?: { why: string; timer: NodeJS.Timeout | undefined } | undefined;
  /** Tracks published there now, by sid. */
  readonly published: Map<string, { track: string; by: Member }>;
}

export interface Timeouts {
  departureMs: number;
  emptyMs: number;
}

export const dtmfCode = (digit: string): number => (digit === '*' ? 10 : digit === '#' ? 11 : Number(digit));

export class CloudRooms {
  readonly log: string[] = [];
  readonly dead = new Set<string>();
  /** Keys each participant heard another participant's publishDtmf send. */
  readonly heard = new Map<string, string[]>();
  readonly #rooms = new Map<string, CloudRoom>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #events: Array<() => void> = [];
  #delivering = false;
  #disposed = false;
  #sids = 0;

  constructor(private readonly timeouts: Timeouts) {}

  get(name: string): CloudRoom | undefined {
    return this.#rooms.get(name);
  }

  open(name: string, how: string): CloudRoom {
    const room: CloudRoom = { name, members: new Map(), createdAt: Date.now(), hadNonAgent: false, published: new Map() };
    this.#rooms.set(name, room);
    this.log.push(`create ${name} (${how})`);
    this.#review(room, false);
    return room;
  }

  /** The open room `identity` is in, and its participant there (the first such room, for an agent in several). */
  find(identity: string): { room: CloudRoom; member: Member } | undefined {
    for (const room of this.#rooms.values()) {
      const member = room.members.get(identity);
      if (member) return { room, member };
    }
    return undefined;
  }

  roomOf(member: Member): CloudRoom | undefined {
    return [...this.#rooms.values()].find((room) => room.members.get(member.identity) === member);
  }

  newMember(identity: string, kind: Kind, attributes: Record<string, string>, job?: string): Member {
    const member: Member = { identity, kind, attributes, sid: '', remote: {} as RemoteParticipant, ...(job === undefined ? {} : { job }) };
    this.#newSid(member);
    return member;
  }

  enter(room: CloudRoom, member: Member): void {
    // One identity per room: a newer join closes the older participant (DUPLICATE_IDENTITY), as the server does.
    const twin = room.members.get(member.identity);
    if (twin) this.leave(room, twin, 'duplicate identity', DisconnectReason.DUPLICATE_IDENTITY);
    const remote = member.remote;
    for (const view of this.#views(room)) {
      this.#tell(view, () => {
        view.remoteParticipants.set(member.identity, remote);
        view.emit(RoomEvent.ParticipantConnected, remote);
      });
    }
    room.members.set(member.identity, member);
    if (member.kind !== 'agent') room.hadNonAgent = true;
    this.#review(room, false);
  }

  /** `member` leaves `room` for good (hung up, removed, disconnected, its process died); `reason` reaches its own Room. */
  leave(room: CloudRoom, member: Member, why: string, reason?: DisconnectReason): void {
    this.#detach(room, member);
    if (member.view) this.#disconnect(member.view, reason);
    this.log.push(`leave ${member.identity} ${room.name} (${why})`);
    member.onGone?.(why);
    this.#review(room, true);
  }

  /** Cloud's MoveParticipant: the same identity in `to`, with a new SID; the checks are the caller's. */
  move(from: CloudRoom, member: Member, to: CloudRoom): void {
    const before = member.sid;
    this.#detach(from, member);
    this.#review(from, true);
    this.#newSid(member);
    this.enter(to, member);
    this.log.push(`move ${member.identity} ${from.name} -> ${to.name} (sid ${before} -> ${member.sid})`);
  }

  /** The room is gone: its agents are disconnected and its calls end. */
  close(room: CloudRoom, why: string): void {
    if (this.#rooms.get(room.name) !== room) return;
    this.#cancelClosing(room);
    this.#rooms.delete(room.name);
    const members = [...room.members.values()];
    room.members.clear();
    room.published.clear();
    for (const member of members) if (member.view) this.#disconnect(member.view, DisconnectReason.ROOM_DELETED);
    const agents = members.filter((m) => m.view).map((m) => m.identity);
    const calls = members.filter((m) => !m.view).map((m) => m.identity);
    this.log.push(
      `close ${room.name} (${why}, agents disconnected: ${agents.join(', ') || 'none'}${calls.length ? `; calls ended: ${calls.join(', ')}` : ''})`,
    );
    for (const member of members) member.onGone?.(`room ${room.name} closed`);
  }

  joinAgent(job: string, room: CloudRoom, identity: string): AgentRoom {
    const member = this.newMember(identity, 'agent', {}, job);
    // What the process does through its Room happens only while it is alive and in the room.
    const here = (): CloudRoom => {
      if (this.dead.has(job)) throw processDead(job);
      const at = view.connected ? this.roomOf(member) : undefined;
      if (!at) throw new Error(`${identity} (${job}) is no longer in ${view.name}`);
      return at;
    };
    const view: AgentRoom = new AgentRoom(room.name, job, identity, member.sid, {
      publish: (track) => {
        const sid = `TR_${++this.#sids}`;
        here().published.set(sid, { track, by: member });
        this.log.push(`publish ${track} in ${view.name} (${job})`);
        return sid;
      },
      unpublish: (sid) => void this.roomOf(member)?.published.delete(sid),
      dtmf: (code, digit) => this.dtmf(here(), member, code, digit),
      leave: () => {
        const at = !this.dead.has(job) && view.connected ? this.roomOf(member) : undefined;
        if (at) this.leave(at, member, `disconnected by ${job}`, DisconnectReason.CLIENT_INITIATED);
      },
    });
    member.view = view;
    // A Room starts out knowing everyone already there.
    for (const other of room.members.values()) if (other.identity !== identity) view.remoteParticipants.set(other.identity, other.remote);
    this.enter(room, member);
    this.log.push(`join ${identity} -> ${room.name} (${job}, sid ${member.sid})`);
    return view;
  }

  setAttributes(room: CloudRoom, member: Member, changed: Record<string, string>): void {
    Object.assign(member.attributes, changed);
    const remote = member.remote;
    for (const view of this.#views(room)) {
      this.#tell(view, () => {
        Object.assign(remote.attributes, changed);
        view.emit(RoomEvent.ParticipantAttributesChanged, changed, remote);
      });
    }
  }

  /** A key sent into the room: the agents' Rooms receive it; a key an agent sends is heard by everyone else. */
  dtmf(room: CloudRoom, from: Member, code: number, digit: string): void {
    for (const member of room.members.values()) {
      if (member === from) continue;
      if (from.view) this.heard.set(member.identity, [...(this.heard.get(member.identity) ?? []), digit]);
      const view = member.view;
      if (view) this.#tell(view, () => view.emit(RoomEvent.DtmfReceived, code, digit, from.remote));
    }
  }

  /** The job's process dies: its participants drop out at once, and its Rooms hear nothing more. */
  kill(job: string): void {
    this.dead.add(job);
    this.log.push(`kill ${job}`);
    for (const room of [...this.#rooms.values()]) {
      for (const member of [...room.members.values()]) if (member.job === job) this.leave(room, member, `${job} died`);
    }
  }

  /** A timer that dispose() clears; none is started once the model is disposed. */
  timer(ms: number, fire: () => void): NodeJS.Timeout | undefined {
    if (this.#disposed) return undefined;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fire();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  dispose(): void {
    this.#disposed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#events.length = 0;
  }

  /**
   * CloseIfEmpty: a room with agents only, or nobody, closes after the departure timeout counted from the last
   * departure (any participant's) once a non-agent has been in it, else after the empty timeout counted from its
   * creation. A non-agent in the room keeps it open.
   */
  #review(room: CloudRoom, someoneLeft: boolean): void {
    if (this.#rooms.get(room.name) !== room) return;
    if ([...room.members.values()].some((m) => m.kind !== 'agent')) return this.#cancelClosing(room);
    if (room.hadNonAgent && (someoneLeft || !room.closing)) this.#closeAfter(room, this.timeouts.departureMs, 'departure timeout');
    else if (!room.closing) this.#closeAfter(room, this.timeouts.emptyMs - (Date.now() - room.createdAt), 'empty timeout');
  }

  #closeAfter(room: CloudRoom, ms: number, why: string): void {
    this.#cancelClosing(room);
    room.closing = { why, timer: this.timer(Math.max(0, ms), () => this.close(room, why)) };
  }

  #cancelClosing(room: CloudRoom): void {
    if (room.closing?.timer) {
      clearTimeout(room.closing.timer);
      this.#timers.delete(room.closing.timer);
    }
    room.closing = undefined;
  }

  #detach(room: CloudRoom, member: Member): void {
    room.members.delete(member.identity);
    for (const [sid, publication] of room.published) if (publication.by === member) room.published.delete(sid);
    const remote = member.remote;
    for (const view of this.#views(room)) {
      this.#tell(view, () => {
        if (view.remoteParticipants.get(member.identity) !== remote) return;
        view.remoteParticipants.delete(member.identity);
        view.emit(RoomEvent.ParticipantDisconnected, remote);
      });
    }
  }

  #disconnect(view: AgentRoom, reason: DisconnectReason | undefined): void {
    view.connected = false;
    if (reason === undefined) return;
    this.#tell(
      view,
      () => {
        view.remoteParticipants.clear();
        view.emit(RoomEvent.Disconnected, reason);
      },
      true,
    );
  }

  #newSid(member: Member): void {
    member.sid = `PA_${++this.#sids}`;
    const kind = member.kind === 'agent' ? ParticipantKind.AGENT : ParticipantKind.SIP;
    const info = { identity: member.identity, sid: member.sid, kind, attributes: { ...member.attributes } };
    member.remote = { ...info, info, trackPublications: new Map() } as unknown as RemoteParticipant;
  }

  #views(room: CloudRoom): AgentRoom[] {
    return [...room.members.values()].flatMap((m) => (m.view ? [m.view] : []));
  }

  /**
   * Events reach a Room after the change that caused them, in order, as the server's signal brings them: a job's
   * handler may call the model again without finding it half-changed. A dead process's Rooms hear nothing, and a
   * Room that left hears only its own Disconnected.
   */
  #tell(view: AgentRoom, event: () => void, evenIfLeft = false): void {
    this.#events.push(() => {
      if (!this.dead.has(view.job) && (view.connected || evenIfLeft)) event();
    });
    if (this.#delivering) return;
    this.#delivering = true;
    queueMicrotask(() => {
      for (let next = this.#events.shift(); next; next = this.#events.shift()) {
        try {
          next();
        } catch (error) {
          // A handler that throws fails the test as an unhandled error, as it would from a real Room's emit.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
      this.#delivering = false;
    });
  }
}
