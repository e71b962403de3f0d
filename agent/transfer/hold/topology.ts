// How the caller, the hold music and the destination are put together. Two ways, one interface:
//   bridge (self-hosted LiveKit, bridge-topology.ts): the caller never leaves their room. Music is published
//          into it while the caller's agent is muted; on acceptance the worker relays audio both ways between
//          the caller's room and the consultation room, and forwards the caller's keypad presses.
//   move   (LiveKit Cloud, move-topology.ts): the caller is moved into a hold room where the worker plays
//          music; on acceptance the caller is moved into the consultation room with the destination, and the
//          worker relays nothing at all: the server carries the call.
// Which one a hold uses is chosen in choose-topology.ts.
import type { AudioFrame, Room } from '@livekit/rtc-node';
import type { RoomApi } from '../../livekit/room-api.ts';

export type TopologyKind = 'bridge' | 'move';

export interface CallerLeg {
  room: Room;
  identity: string;
  /** Mutes or unmutes the caller's agent (it must neither hear nor speak while the caller is on hold). */
  muteAgent(muted: boolean): void;
}

export interface Topology {
  readonly kind: TopologyKind;
  /** The room the caller is in now: a departure from a room they were moved out of is no hang-up. */
  readonly callerRoomName: string;
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
export type Playback = Awaited<ReturnType<MusicSource['play']>>;

export interface TopologyDeps {
  caller: CallerLeg;
  music: MusicSource;
  api: RoomApi;
  /** Joins a room as the worker (used for the hold room on Cloud). */
  join(roomName: string): Promise<Room>;
  /** A drill (WARM_TRANSFER_FAULT=bridge): the self-hosted bridge fails at every accept. */
  fault?: 'bridge';
  /**
   * Write-ahead (Cloud): the caller is about to be moved into `holdRoom`. Awaited before the move, so the
   * transfer record names the room before anyone is in it, and a takeover knows where to look for the caller.
   */
  beforeMove?(holdRoom: string): Promise<void>;
}
