// How the caller, the hold music and the destination are put together. Two ways, one interface:
//   bridge (self-hosted LiveKit): the caller never leaves their room. Music is published into it while the
//          caller's agent is muted; on acceptance the worker relays audio both ways between the caller's
//          room and the consultation room, and forwards the caller's keypad presses.
//   move   (LiveKit Cloud): the caller is moved into a hold room where the worker plays music; on acceptance
//          the caller is moved into the consultation room with the destination, and the worker stops relaying
//          nothing at all: the server carries the call.
// `auto` tries a move once per server; an open-source server answers "not implemented", and from then on
// that server gets the bridge.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AudioFrame, type RemoteParticipant, type RemoteAudioTrack, type RemoteTrack, type Room, RoomEvent, TrackKind } from '@livekit/rtc-node';
import { DISCONNECT_TIMEOUT_MS, settleWithin } from '../../../core/bounded.ts';
import { prepareRelay, type AudioRelay, type PreparedRelay } from '../bridge/relay.ts';
import { isNotImplemented, quietly, type RoomApi } from '../../livekit/room-api.ts';

export type TopologyKind = 'bridge' | 'move';

export interface CallerLeg {
  room: Room;
  identity: string;
  /** Mutes or unmutes the caller's agent (it must neither hear nor speak while the caller is on hold). */
  muteAgent(muted: boolean): void;
}

export interface Topology {
  readonly kind: TopologyKind;
  /** The caller hears music and nothing else; the caller's agent is muted. */
  hold(): Promise<void>;
  /** The caller is back with their agent. */
  unhold(): Promise<void>;
  /** Music off; caller and destination hear each other. */
  connect(consultation: Room, destinationIdentity: string): Promise<void>;
  /**
   * Plays `frames` (a spoken note) to the caller on hold in place of the music; false when the caller is
   * not on hold any more.
   */
  interject(frames: AsyncIterable<AudioFrame>): Promise<boolean>;
  /** The room the caller waits in while on hold, where their key presses arrive (undefined when not held). */
  heldIn(): Room | undefined;
  /**
   * The destination answered in `consultation`: get ready to connect (nothing is heard until connect), so
   * an acceptance connects at once. Optional, and never fails: connect does the work itself if need be.
   */
  prepare?(consultation: Room): void;
  /** Releases whatever the topology still holds (music, relays, the hold room). Idempotent. */
  close(): Promise<void>;
}

/** Hold music as the topologies need it (HoldMusic in production; a recorder in contract tests). */
export interface MusicSource {
  play(room: Room): Promise<{ stop(): Promise<void>; silence?(): Promise<void>; interject?(frames: AsyncIterable<AudioFrame>): Promise<void> }>;
}
type Playback = Awaited<ReturnType<MusicSource['play']>>;

export interface TopologyDeps {
  caller: CallerLeg;
  music: MusicSource;
  api: RoomApi;
  /** Joins a room as the worker (used for the hold room on Cloud). */
  join(roomName: string): Promise<Room>;
  /** A drill (WARM_TRANSFER_FAULT=bridge): the self-hosted bridge fails at every accept. */
  fault?: 'bridge';
}

function audioTrackOf(participant: RemoteParticipant | undefined): RemoteAudioTrack | undefined {
  for (const publication of participant?.trackPublications.values() ?? []) {
    if (publication.kind === TrackKind.KIND_AUDIO && publication.track) return publication.track as RemoteAudioTrack;
  }
  return undefined;
}

/** How long a bridge waits for an audio track that is not subscribed yet. */
export const TRACK_WAIT_MS = 5000;

/**
 * `identity`'s audio track in `room`, waiting up to `ms` for it to be subscribed: a line that answered a
 * moment ago (a keypad transfer connects at the answer, without a briefing) may not have published yet.
 */
export function audioTrackWithin(room: Room, identity: string, ms: number): Promise<RemoteAudioTrack | undefined> {
  const now = audioTrackOf(room.remoteParticipants.get(identity));
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const onTrack = (track: RemoteTrack, _publication: unknown, participant: RemoteParticipant) => {
      if (participant.identity === identity && track.kind === TrackKind.KIND_AUDIO) done(track as RemoteAudioTrack);
    };
    const done = (track: RemoteAudioTrack | undefined) => {
      clearTimeout(timer);
      room.off(RoomEvent.TrackSubscribed, onTrack);
      resolve(track);
    };
    const timer = setTimeout(() => done(audioTrackOf(room.remoteParticipants.get(identity))), ms);
    room.on(RoomEvent.TrackSubscribed, onTrack);
  });
}

export class BridgeTopology implements Topology {
  readonly kind = 'bridge' as const;
  #music: Playback | undefined;
  #relays: AudioRelay[] = [];
  /** Silent relay tracks published while the destination in `consultation` is briefed. */
  #prepared: { consultation: Room; relays: Promise<[PreparedRelay, PreparedRelay] | undefined> } | undefined;
  #forwardDtmf: ((code: number, digit: string, participant: RemoteParticipant) => void) | undefined;

  constructor(private readonly deps: TopologyDeps) {}

  async hold(): Promise<void> {
    this.deps.caller.muteAgent(true);
    try {
      this.#music ??= await this.deps.music.play(this.deps.caller.room);
    } catch (error) {
      // No music: better the caller keeps their agent than sits muted in silence.
      this.deps.caller.muteAgent(false);
      throw error;
    }
  }

  #connected = false;

  async unhold(): Promise<void> {
    // The caller's agent speaks as soon as the music is silent; taking the tracks down (a round trip to the
    // server each, slow on a busy machine) finishes meanwhile, each bounded, and delays nobody.
    const music = this.#music;
    const tidied = Promise.all([this.#stopMusic(), this.#dropPrepared()]);
    await music?.silence?.();
    this.deps.caller.muteAgent(false);
    void tidied.catch(() => undefined);
  }

  prepare(consultation: Room): void {
    if (this.#prepared?.consultation === consultation) return;
    void this.#dropPrepared();
    this.#prepared = { consultation, relays: this.#publishRelays(consultation).catch(() => undefined) };
  }

  /** Both relay tracks, published in parallel: the caller's room gets the destination, the consultation the caller. */
  async #publishRelays(consultation: Room): Promise<[PreparedRelay, PreparedRelay]> {
    const [toCaller, toDestination] = await Promise.allSettled([
      prepareRelay(this.deps.caller.room, 'transfer-destination'),
      prepareRelay(consultation, 'transfer-caller'),
    ]);
    if (toCaller.status === 'fulfilled' && toDestination.status === 'fulfilled') return [toCaller.value, toDestination.value];
    // One side could not be published: take the other back down, so no half-bridge is left in a room.
    for (const side of [toCaller, toDestination]) if (side.status === 'fulfilled') await side.value.stop();
    throw toCaller.status === 'rejected' ? toCaller.reason : (toDestination as PromiseRejectedResult).reason;
  }

  async #dropPrepared(): Promise<void> {
    const prepared = this.#prepared;
    this.#prepared = undefined;
    const relays = await prepared?.relays;
    await Promise.all((relays ?? []).map((relay) => relay.stop()));
  }

  async interject(frames: AsyncIterable<AudioFrame>): Promise<boolean> {
    if (!this.#music?.interject || this.#connected) return false;
    await this.#music.interject(frames);
    return true;
  }

  heldIn(): Room | undefined {
    return this.#music && !this.#connected ? this.deps.caller.room : undefined;
  }

  async connect(consultation: Room, destinationIdentity: string): Promise<void> {
    // A drill: an operator (or the fault-matrix test) can make every bridge fail, to see that callers are
    // taken back off hold and told, and the person let go, without waiting for a real failure.
    if (this.deps.fault === 'bridge') throw new Error('the bridge failed (WARM_TRANSFER_FAULT=bridge)');
    const { room, identity } = this.deps.caller;
    const [callerTrack, destinationTrack] = await Promise.all([
      audioTrackWithin(room, identity, TRACK_WAIT_MS),
      audioTrackWithin(consultation, destinationIdentity, TRACK_WAIT_MS),
    ]);
    if (!callerTrack) throw new Error('the caller has no audio track to bridge');
    if (!destinationTrack) throw new Error('the destination has no audio track to bridge');
    this.#connected = true;
    try {
      // Relays first, music last: the caller hears music until the destination's voice is ready.
      const prepared = this.#prepared?.consultation === consultation ? await this.#prepared.relays : undefined;
      if (!prepared) await this.#dropPrepared();
      this.#prepared = undefined;
      const [toCaller, toDestination] = prepared ?? (await this.#publishRelays(consultation));
      this.#relays.push(toCaller, toDestination);
      toCaller.start(destinationTrack);
      toDestination.start(callerTrack);
    } catch (error) {
      // Not connected after all: the caller is still on hold, with music, for unhold to bring back.
      this.#connected = false;
      await Promise.all(this.#relays.splice(0).map((relay) => relay.stop()));
      throw error;
    }
    await this.#stopMusic();
    this.#forwardDtmf = (code, digit, participant) => {
      if (participant.identity === identity) void consultation.localParticipant?.publishDtmf(code, digit).catch(() => undefined);
    };
    room.on(RoomEvent.DtmfReceived, this.#forwardDtmf);
  }

  async close(): Promise<void> {
    if (this.#forwardDtmf) this.deps.caller.room.off(RoomEvent.DtmfReceived, this.#forwardDtmf);
    this.#forwardDtmf = undefined;
    await Promise.all([...this.#relays.splice(0).map((relay) => relay.stop()), this.#dropPrepared()]);
    await this.#stopMusic();
  }

  async #stopMusic(): Promise<void> {
    const music = this.#music;
    this.#music = undefined;
    await music?.stop();
  }
}

export class MoveTopology implements Topology {
  readonly kind = 'move' as const;
  #holdRoom: Room | undefined;
  #holdRoomName: string | undefined;
  #music: Playback | undefined;
  /** Where the caller is now; a departure from a room we moved them out of is not a hang-up. */
  callerRoomName: string;

  constructor(private readonly deps: TopologyDeps) {
    this.callerRoomName = deps.caller.room.name!;
  }

  async hold(): Promise<void> {
    const { api, caller } = this.deps;
    const name = `wt-hold-${randomUUID()}`;
    await api.createRoom(name, { emptyTimeoutS: 30, maxParticipants: 3 });
    this.#holdRoomName = name;
    try {
      // Move first: a server that cannot move says so before the worker has spent a join on the room.
      caller.muteAgent(true);
      await api.moveParticipant(caller.room.name!, caller.identity, name);
      this.callerRoomName = name;
      this.#holdRoom = await this.deps.join(name);
      this.#music = await this.deps.music.play(this.#holdRoom);
    } catch (error) {
      caller.muteAgent(false);
      await this.close();
      throw error;
    }
  }

  async unhold(): Promise<void> {
    const { api, caller } = this.deps;
    if (this.callerRoomName !== caller.room.name) {
      // If the move back keeps failing, the hold room and its music stay: deleting the room would drop
      // the caller, and music is better than silence while the failure is reported.
      await retry(MOVE_BACK_ATTEMPTS, () => api.moveParticipant(this.callerRoomName, caller.identity, caller.room.name!));
      this.callerRoomName = caller.room.name!;
    }
    await this.close();
    caller.muteAgent(false);
  }

  async interject(frames: AsyncIterable<AudioFrame>): Promise<boolean> {
    if (!this.#music?.interject) return false;
    await this.#music.interject(frames);
    return true;
  }

  heldIn(): Room | undefined {
    return this.#holdRoom;
  }

  async connect(consultation: Room): Promise<void> {
    await this.deps.api.moveParticipant(this.callerRoomName, this.deps.caller.identity, consultation.name!);
    this.callerRoomName = consultation.name!;
    await this.close();
  }

  async close(): Promise<void> {
    const music = this.#music;
    const room = this.#holdRoom;
    const name = this.#holdRoomName;
    this.#music = this.#holdRoom = this.#holdRoomName = undefined;
    await music?.stop();
    await settleWithin(room?.disconnect(), DISCONNECT_TIMEOUT_MS);
    if (name) await quietly(this.deps.api.deleteRoom(name));
  }
}

const MOVE_BACK_ATTEMPTS = 3;

/**
 * Takeover on Cloud: the caller of a transfer whose job died may still wait in that job's hold room. Back
 * into their own room first (a few tries, as for any move home), where the resumed transfer holds them again
 * in a hold room of its own. The old hold room is deleted only once they have left it: deleting it with the
 * caller inside would drop the call. A bridged caller stays where they are (in the consultation room).
 */
export async function bringCallerHome(
  api: RoomApi, held: { holdRoom: string | undefined; callerIdentity: string; bridged: boolean }, callerRoom: string,
): Promise<'not_held' | 'home' | 'stuck'> {
  if (!held.holdRoom || held.bridged) return 'not_held';
  try {
    await retry(MOVE_BACK_ATTEMPTS, () => api.moveParticipant(held.holdRoom!, held.callerIdentity, callerRoom));
  } catch {
    return 'stuck';
  }
  await quietly(api.deleteRoom(held.holdRoom));
  return 'home';
}

async function retry<T>(attempts: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Per server URL: what a move attempt taught us. Jobs run in separate processes, so the answer is kept in
 * a small file as well; a lost or unreadable file only costs one more attempt.
 */
const memoryFile = join(tmpdir(), 'livekit-warm-transfer-topologies.json');
const learned = new Map<string, TopologyKind>(readLearned());

function readLearned(): Array<[string, TopologyKind]> {
  try {
    const parsed = JSON.parse(readFileSync(memoryFile, 'utf8')) as Record<string, unknown>;
    return Object.entries(parsed).filter((entry): entry is [string, TopologyKind] => entry[1] === 'move' || entry[1] === 'bridge');
  } catch {
    return [];
  }
}

function learn(serverUrl: string, kind: TopologyKind): void {
  if (learned.get(serverUrl) === kind) return;
  learned.set(serverUrl, kind);
  try {
    writeFileSync(memoryFile, JSON.stringify(Object.fromEntries([...readLearned(), ...learned])));
  } catch {
    // Memory only: the next process tries once more.
  }
}

/** Chooses the topology at hold time: forced by configuration, learned for this server, or tried. */
export async function holdWithTopology(
  mode: 'auto' | TopologyKind,
  serverUrl: string,
  deps: TopologyDeps,
): Promise<Topology> {
  const kind = mode === 'auto' ? (learned.get(serverUrl) ?? 'move') : mode;
  if (kind === 'bridge') {
    const bridge = new BridgeTopology(deps);
    await bridge.hold();
    return bridge;
  }
  const move = new MoveTopology(deps);
  try {
    await move.hold();
    learn(serverUrl, 'move');
    return move;
  } catch (error) {
    if (mode !== 'auto' || !isNotImplemented(error)) throw error;
    learn(serverUrl, 'bridge');
    const bridge = new BridgeTopology(deps);
    await bridge.hold();
    return bridge;
  }
}
