// The caller's side of a transfer, across every destination tried: on hold once, off hold once. It owns
// the topology (so trying a second destination does not restart the music), the caller's keypad while
// on hold (0 = stop waiting), the spoken notes a caller on hold hears, and the watch for the caller hanging
// up, which must also cover the moments between two destinations, when no transfer is listening.
import { type AudioFrame, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { holdWithTopology, type TopologyMemory } from './choose-topology.ts';
import type { Topology, TopologyDeps, TopologyKind } from './topology.ts';

/** The caller presses this to stop waiting and get back to the agent. */
export const STOP_WAITING_KEY = '0';

export interface CallerHoldOptions {
  mode: 'auto' | TopologyKind;
  serverUrl: string;
  topology: TopologyDeps;
  /** What each server taught about moving participants (the worker's Redis); nothing remembered without. */
  memory?: TopologyMemory;
  /**
   * Writes the topology to the transfer record, awaited (within a bound): once the caller is held, and again
   * when the connect had to change it (a move that could not be made, relayed instead).
   */
  writeAhead?(where: { topology: TopologyKind }): Promise<void>;
  /** Turns a note into speech (the agent's TTS). */
  speak(text: string): AsyncIterable<AudioFrame>;
  /** The caller pressed the stop-waiting key while on hold. */
  onStopWaiting(): void;
}

export class CallerHold {
  #topology: Topology | undefined;
  #holding = false;
  #unlisten: (() => void) | undefined;
  readonly #unwatch: (() => void)[] = [];
  #callerLeft = false;
  #resolveGone!: () => void;
  /** Resolves when the caller hangs up. */
  readonly callerGone = new Promise<void>((resolve) => (this.#resolveGone = resolve));

  constructor(private readonly options: CallerHoldOptions) {
    this.#watchCaller(options.topology.caller.room);
  }

  get topology(): Topology | undefined {
    return this.#topology;
  }

  get holding(): boolean {
    return this.#holding;
  }

  get callerLeft(): boolean {
    return this.#callerLeft;
  }

  /** Puts the caller on hold; a no-op when they already are. */
  async hold(): Promise<Topology> {
    if (!this.#topology) {
      this.#topology = await holdWithTopology(this.options.mode, this.options.serverUrl, this.options.topology, this.options.memory);
      await this.options.writeAhead?.({ topology: this.#topology.kind });
    } else if (!this.#holding) {
      await this.#topology.hold();
    }
    if (!this.#holding) this.#listenForStop(this.options.topology.caller.room, this.options.topology.caller.identity);
    this.#holding = true;
    return this.#topology;
  }

  /** Takes the caller off hold; a no-op when they are not on hold. */
  async unhold(): Promise<void> {
    if (!this.#holding) return;
    this.#holding = false;
    this.#unlisten?.();
    await this.#topology?.unhold();
  }

  /** Where a move put the person (the caller's room), from the moment it was asked; undefined otherwise. */
  get personRoomName(): string | undefined {
    return this.#topology?.personRoomName;
  }

  /** The destination answered: let the topology get ready to connect them (silently). */
  prepare(consultation: Room): void {
    if (this.#holding) this.#topology?.prepare?.(consultation);
  }

  /**
   * Caller and destination are being connected: the caller's keys now belong to their conversation. The
   * caller counts as on hold until the topology has connected them, so a connect that fails leaves them on
   * hold for `unhold` to bring back.
   */
  async connect(consultation: Room, destinationIdentity: string): Promise<void> {
    const topology = this.#topology;
    if (!topology || !this.#holding) throw new Error('the caller is not on hold: there is nothing to connect');
    const kind = topology.kind;
    try {
      await topology.connect(consultation, destinationIdentity);
    } finally {
      // A takeover must know how they were connected: the relay needs the worker, the server's move does not.
      if (topology.kind !== kind) await this.options.writeAhead?.({ topology: topology.kind });
    }
    this.#unlisten?.();
    this.#holding = false;
  }

  /** A short note to the caller on hold; false when it could not be said (not on hold). */
  async note(text: string): Promise<boolean> {
    if (!this.#holding || !this.#topology) return false;
    return this.#topology.interject(this.options.speak(text));
  }

  async close(): Promise<void> {
    this.#unlisten?.();
    for (const unwatch of this.#unwatch.splice(0)) unwatch();
    this.#holding = false;
    await this.#topology?.close();
  }

  #watchCaller(room: Room): void {
    const onLeft = (participant: RemoteParticipant) => {
      if (participant.identity !== this.options.topology.caller.identity) return;
      this.#callerLeft = true;
      this.#resolveGone();
    };
    room.on(RoomEvent.ParticipantDisconnected, onLeft);
    this.#unwatch.push(() => room.off(RoomEvent.ParticipantDisconnected, onLeft));
  }

  #listenForStop(room: Room, callerIdentity: string): void {
    const onDtmf = (_code: number, digit: string, participant: RemoteParticipant) => {
      if (participant.identity === callerIdentity && digit === STOP_WAITING_KEY && this.#holding) this.options.onStopWaiting();
    };
    room.on(RoomEvent.DtmfReceived, onDtmf);
    this.#unlisten = () => {
      room.off(RoomEvent.DtmfReceived, onDtmf);
      this.#unlisten = undefined;
    };
  }
}
