// How the caller, the hold music and the destination are put together. On both ways the caller never leaves
// their own room: music is published into it while the caller's agent is muted. They differ at the accept:
//   bridge (self-hosted LiveKit, bridge-topology.ts): the worker relays audio both ways between the caller's
//          room and the consultation room, and forwards the caller's keypad presses.
//   move   (LiveKit Cloud, move-topology.ts): the person is moved from the consultation room into the caller's
//          room, and the server carries the call. One move, and nothing to move back: the call room always
//          holds the caller, so Cloud never closes it under them (it closes rooms left to agents alone).
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
  /**
   * The room a move put the person in (the caller's), from the moment the move is asked; undefined while they
   * are in the consultation room (always, on the bridge). A departure from a room they were moved out of is
   * no hang-up.
   */
  readonly personRoomName: string | undefined;
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
  /**
   * The destination answered in `consultation`: get ready to connect (nothing is heard until connect), so
   * an acceptance connects at once. Optional, and never fails: connect does the work itself if need be.
   */
  prepare?(consultation: Room): void;
  /** Releases whatever the topology still holds (music, relays). Idempotent. */
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
  /**
   * Drills (WARM_TRANSFER_FAULT): `hold`, the hold music never starts (every hold fails); `bridge`, every relay
   * bridge fails at the accept.
   */
  fault?: 'hold' | 'bridge';
}
