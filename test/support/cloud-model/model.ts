// A stateful LiveKit Cloud for unit tests: rooms that close as Cloud closes them, participants that Cloud moves
// between rooms, jobs whose processes die, and phones that answer as scripted. The product's transfer code runs
// against it through the same surfaces it uses in production (RoomApi, rtc-node Rooms, a dialer), and the model
// applies Cloud's rules to whatever calls it makes. Events reach the Rooms a microtask after the change; a test
// waits for them, or for a timeout, with settle(ms) or vi.waitFor, and calls close() in afterEach.
import type { Room } from '@livekit/rtc-node';
import type { RoomApi } from '../../../agent/livekit/room-api.ts';
import { WORKER_IDENTITY } from '../../../agent/livekit/join.ts';
import type { DialRequest, DialResult } from '../../../agent/transfer/dial/dial.ts';
import type { RoomApiMethod } from '../fakes/room-api.ts';
import { processDead, unavailable } from './errors.ts';
import { Phones, type PhoneAnswer } from './phones.ts';
import { CloudRooms } from './rooms.ts';
import { Faults, modelRoomApi } from './service.ts';

export interface CloudModelOptions {
  /** How long a room stays open once only agents are left in it (LiveKit's default: 20 s). Default 200 ms. */
  departureTimeoutMs?: number;
  /** How long a room nobody but agents ever joined stays open after its creation. Default 300 ms. */
  emptyTimeoutMs?: number;
}

export type Dialer = (request: DialRequest, signal: AbortSignal) => Promise<DialResult>;

export class CloudModel {
  readonly #rooms: CloudRooms;
  readonly #phones: Phones;
  readonly #faults = new Faults();

  constructor(options: CloudModelOptions = {}) {
    this.#rooms = new CloudRooms({ departureMs: options.departureTimeoutMs ?? 200, emptyMs: options.emptyTimeoutMs ?? 300 });
    this.#phones = new Phones(this.#rooms);
  }

  /** A readable line per thing that happened, in order: print it when a test fails. */
  get log(): string[] {
    return this.#rooms.log;
  }

  /** The room the SIP service made for an inbound call, with the caller in it, answered. */
  callRoom(name: string, callerIdentity: string): void {
    this.#phones.callIn(name, callerIdentity);
  }

  /** A job's process joins `roomName` as an agent; joining a room that does not exist creates it, as Cloud does. */
  async join(job: string, roomName: string, identity = WORKER_IDENTITY): Promise<Room> {
    if (this.#rooms.dead.has(job)) throw processDead(job);
    const room = this.#rooms.get(roomName) ?? this.#rooms.open(roomName, `on ${job}'s join`);
    return this.#rooms.joinAgent(job, room, identity) as unknown as Room;
  }

  /** RoomService, called by `job`'s process. */
  api(job: string): RoomApi {
    return modelRoomApi(this.#rooms, this.#faults, job);
  }

  /** Dialling, as `job`'s process does it (dial.ts's shape). */
  dialer(job: string): Dialer {
    return (request, signal) => this.#phones.dial(job, request, signal);
  }

  /** The job's process dies: its agents leave every room at once, its Rooms hear nothing more, its calls are refused. */
  kill(job: string): void {
    this.#rooms.kill(job);
  }

  /** What `identity`'s phone does when dialled: answer, or not, after `delayMs` of ringing. */
  phone(identity: string, answer: PhoneAnswer, delayMs = 20): void {
    this.#phones.script(identity, answer, delayMs);
  }

  /** The phone's user presses a key: the agents' Rooms in its room receive it (DtmfReceived). */
  press(identity: string, digit: string): void {
    this.#phones.press(identity, digit);
  }

  hangUp(identity: string): void {
    this.#phones.hangUp(identity);
  }

  /** The next call of `method` fails with `error` (default a 503), and nothing is done. */
  failNext(method: RoomApiMethod, error: Error = unavailable()): void {
    this.#faults.add(method, { error, applied: false });
  }

  /**
   * The next move is carried out and still answers `error` (default a 503: a 5xx or timeout after the fact). With
   * livekit-server-sdk 2.17+ the client replays a 5xx, and that replay answers 404 (nobody left to move): pass
   * notFound(...) for what such a client finally sees. A replay by the product also answers 404.
   */
  failNextMoveAfterApplying(error: Error = unavailable()): void {
    this.#faults.add('moveParticipant', { error, applied: true });
  }

  /** `happening` (a hang-up) takes place just as the next call of `method` reaches the server. */
  justBefore(method: RoomApiMethod, happening: () => void): void {
    this.#faults.addHappening('before', method, happening);
  }

  /** `happening` (a job killed) takes place once the server has carried the next call of `method` out, before its answer. */
  justAfter(method: RoomApiMethod, happening: () => void): void {
    this.#faults.addHappening('after', method, happening);
  }

  /** From now on every move answers "not implemented", as the open-source server does. */
  refuseMoves(): void {
    this.#faults.movesNotImplemented = true;
  }

  /** The open room `identity` is in (for an agent in several, the first). */
  where(identity: string): string | undefined {
    return this.#rooms.find(identity)?.room.name;
  }

  sidOf(identity: string): string | undefined {
    return this.#rooms.find(identity)?.member.sid;
  }

  isOpen(room: string): boolean {
    return this.#rooms.get(room) !== undefined;
  }

  /** Who is in `room` (empty when it is closed). */
  participants(room: string): string[] {
    return [...(this.#rooms.get(room)?.members.keys() ?? [])];
  }

  /** Two participants hear each other iff they are in the same open room. */
  together(a: string, b: string): boolean {
    const room = this.#rooms.find(a)?.room;
    return room !== undefined && room.members.has(b);
  }

  /** Keys `identity` heard an agent send (publishDtmf), in order. */
  heard(identity: string): string[] {
    return [...(this.#rooms.heard.get(identity) ?? [])];
  }

  /** Names of the tracks published in `room` now. */
  published(room: string): string[] {
    return [...(this.#rooms.get(room)?.published.values() ?? [])].map((p) => p.track);
  }

  /** Waits `ms` of real time (events due by then, and the timeouts, have happened). */
  settle(ms = 0): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** Stops every timer the model started; for afterEach. */
  close(): void {
    this.#rooms.dispose();
  }
}
