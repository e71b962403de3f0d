// The caller's side of a transfer, across every destination tried: on hold once, off hold once. It owns
// the topology (so trying a second destination does not restart the music), the caller's keypad while
// on hold (0 = stop waiting), and the spoken notes a caller on hold hears.
import { type AudioFrame, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { holdWithTopology, type Topology, type TopologyDeps, type TopologyKind } from './topology.ts';

/** The caller presses this to stop waiting and get back to the agent. */
export const STOP_WAITING_KEY = '0';

export interface CallerHoldOptions {
  mode: 'auto' | TopologyKind;
  serverUrl: string;
  topology: TopologyDeps;
  /** Turns a note into speech (the agent's TTS). */
  speak(text: string): AsyncIterable<AudioFrame>;
  /** The caller pressed the stop-waiting key while on hold. */
  onStopWaiting(): void;
}

export class CallerHold {
  #topology: Topology | undefined;
  #holding = false;
  #unlisten: (() => void) | undefined;

  constructor(private readonly options: CallerHoldOptions) {}

  get topology(): Topology | undefined {
    return this.#topology;
  }

  get holding(): boolean {
    return this.#holding;
  }

  /** Puts the caller on hold; a no-op when they already are. */
  async hold(): Promise<Topology> {
    if (!this.#topology) {
      this.#topology = await holdWithTopology(this.options.mode, this.options.serverUrl, this.options.topology);
    } else if (!this.#holding) {
      await this.#topology.hold();
    }
    // On Cloud the caller waits in the hold room, so that is where their keys arrive.
    if (!this.#holding) this.#listenForStop(this.#topology.heldIn() ?? this.options.topology.caller.room, this.options.topology.caller.identity);
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

  /** The destination answered: let the topology get ready to connect them (silently). */
  prepare(consultation: Room): void {
    if (this.#holding) this.#topology?.prepare?.(consultation);
  }

  /** Caller and destination are being connected: the caller's keys now belong to their conversation. */
  async connect(consultation: Room, destinationIdentity: string): Promise<void> {
    this.#unlisten?.();
    this.#holding = false;
    await this.#topology!.connect(consultation, destinationIdentity);
  }

  /** A short note to the caller on hold; false when it could not be said (not on hold, or on Cloud). */
  async note(text: string): Promise<boolean> {
    if (!this.#holding || !this.#topology) return false;
    return this.#topology.interject(this.options.speak(text));
  }

  async close(): Promise<void> {
    this.#unlisten?.();
    this.#holding = false;
    await this.#topology?.close();
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
