// The LiveKit Cloud way: the caller is held in their own room exactly as on the bridge (bridge-topology.ts), and
// on acceptance the person is moved from the consultation room into it, so the server carries the call. The
// caller never moves: the call room always holds them, and Cloud, which closes a room once only agents are left
// in it, cannot close it under a held caller; a failed transfer has nobody to move back.
//
// A move may fail and still have happened (the server SDK replays a request that timed out or got a 5xx, and
// the replay then finds nobody to move), so an error is never taken at its word: the server is asked where the
// person is (move-person.ts) and the connect carries on from there. A person who cannot be moved is connected by
// the relay instead (the bridge), which works on any server.
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { isNotImplemented } from '../../livekit/room-api.ts';
import { BridgeTopology } from './bridge-topology.ts';
import { moveParticipant } from './move-person.ts';
import type { TopologyDeps, TopologyKind } from './topology.ts';

export interface MoveOptions {
  /** Publish the relay tracks at the answer anyway: the server may not move (auto, not learned yet). */
  mayRelay: boolean;
  /** What the server taught: it moved someone (`move`), or cannot move anyone (`bridge`). */
  learn(kind: TopologyKind): void;
}

/** The person hung up while being moved: the transfer ends as for any destination who hangs up. */
export class DestinationGone extends Error {
  constructor() {
    super('the destination left while being moved to the caller');
  }
}

export class MoveTopology extends BridgeTopology {
  #kind: TopologyKind = 'move';
  #personRoom: string | undefined;
  #unwatch: (() => void) | undefined;

  constructor(
    deps: TopologyDeps,
    private readonly options: MoveOptions,
  ) {
    super(deps);
  }

  override get kind(): TopologyKind {
    return this.#kind;
  }

  override get personRoomName(): string | undefined {
    return this.#personRoom;
  }

  override prepare(consultation: Room): void {
    if (this.options.mayRelay) super.prepare(consultation);
  }

  override async connect(consultation: Room, personIdentity: string): Promise<void> {
    const callRoom = this.deps.caller.room.name!;
    // From here a departure from the consultation room may be the move itself: the move's answer says which.
    this.#personRoom = callRoom;
    const moved = await moveParticipant(this.deps.api, { identity: personIdentity, from: consultation.name!, to: callRoom });
    if (moved.where === 'moved') {
      this.options.learn('move');
      this.connected();
      await Promise.all([this.stopMusic(), this.stopRelays()]);
      return;
    }
    this.#personRoom = undefined;
    if (moved.where === 'gone') throw new DestinationGone();
    if (isNotImplemented(moved.error)) this.options.learn('bridge');
    // Not moved, still in the consultation room: the relay connects them instead.
    this.#kind = 'bridge';
    await super.connect(consultation, personIdentity);
    if (!isNotImplemented(moved.error)) this.#watchLateArrival(personIdentity, callRoom);
  }

  override async close(): Promise<void> {
    this.#unwatch?.();
    await super.close();
  }

  /**
   * A move that answered errors may still be carried out later (a replay the server had queued): then the
   * person is in the caller's room, heard directly, and the relay would only echo them.
   */
  #watchLateArrival(personIdentity: string, callRoom: string): void {
    const room = this.deps.caller.room;
    const arrived = (participant: RemoteParticipant) => {
      if (participant.identity !== personIdentity) return;
      this.#unwatch?.();
      this.#personRoom = callRoom;
      this.#kind = 'move';
      void this.stopRelays();
    };
    room.on(RoomEvent.ParticipantConnected, arrived);
    this.#unwatch = () => {
      room.off(RoomEvent.ParticipantConnected, arrived);
      this.#unwatch = undefined;
    };
  }
}
