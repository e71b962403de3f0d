// The LiveKit Cloud way: the caller is moved into a hold room of their own, where the worker plays music, and on
// acceptance into the consultation room, where the server carries the call.
import { randomUUID } from 'node:crypto';
import type { AudioFrame, Room } from '@livekit/rtc-node';
import { DISCONNECT_TIMEOUT_MS, settleWithin } from '../../../core/bounded.ts';
import { quietly } from '../../livekit/room-api.ts';
import type { Playback, Topology, TopologyDeps } from './topology.ts';

export class MoveTopology implements Topology {
  readonly kind = 'move' as const;
  #holdRoom: Room | undefined;
  #holdRoomName: string | undefined;
  #music: Playback | undefined;
  #callerRoomName: string;

  constructor(private readonly deps: TopologyDeps) {
    this.#callerRoomName = deps.caller.room.name!;
  }

  get callerRoomName(): string {
    return this.#callerRoomName;
  }

  async hold(): Promise<void> {
    const { api, caller } = this.deps;
    const name = `wt-hold-${randomUUID()}`;
    await api.createRoom(name, { emptyTimeoutS: 30, maxParticipants: 3 });
    this.#holdRoomName = name;
    try {
      // Move first: a server that cannot move says so before the worker has spent a join on the room.
      caller.muteAgent(true);
      await this.deps.beforeMove?.(name);
      await api.moveParticipant(caller.room.name!, caller.identity, name);
      this.#callerRoomName = name;
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
      this.#callerRoomName = caller.room.name!;
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
    this.#callerRoomName = consultation.name!;
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

/** How many times a move home is tried before it is reported (takeover's bring-home tries as often). */
export const MOVE_BACK_ATTEMPTS = 3;

/** `work`, tried up to `attempts` times, a little longer apart each time. */
export async function retry<T>(attempts: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
