// The self-hosted way (the open-source server cannot move participants): the caller stays in their own room,
// hears music published there, and on acceptance the worker relays audio both ways between that room and the
// consultation room.
import { type AudioFrame, type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { prepareRelay, type AudioRelay, type PreparedRelay } from '../bridge/relay.ts';
import type { Playback, Topology, TopologyDeps, TopologyKind } from './topology.ts';
import { audioTrackWithin, TRACK_WAIT_MS } from './tracks.ts';

export class BridgeTopology implements Topology {
  #music: Playback | undefined;
  #relays: AudioRelay[] = [];
  /** Silent relay tracks published while the destination in `consultation` is briefed. */
  #prepared: { consultation: Room; relays: Promise<[PreparedRelay, PreparedRelay] | undefined> } | undefined;
  #forwardDtmf: ((code: number, digit: string, participant: RemoteParticipant) => void) | undefined;

  constructor(protected readonly deps: TopologyDeps) {}

  get kind(): TopologyKind {
    return 'bridge';
  }

  /** The person stays in the consultation room: the relay brings their voice over. */
  get personRoomName(): string | undefined {
    return undefined;
  }

  async hold(): Promise<void> {
    this.deps.caller.muteAgent(true);
    try {
      if (this.deps.fault === 'hold') throw new Error('the hold music did not start (WARM_TRANSFER_FAULT=hold)');
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
    const tidied = Promise.all([this.stopMusic(), this.#dropPrepared()]);
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
    await this.stopMusic();
    this.#forwardDtmf = (code, digit, participant) => {
      if (participant.identity === identity) void consultation.localParticipant?.publishDtmf(code, digit).catch(() => undefined);
    };
    room.on(RoomEvent.DtmfReceived, this.#forwardDtmf);
  }

  async close(): Promise<void> {
    if (this.#forwardDtmf) this.deps.caller.room.off(RoomEvent.DtmfReceived, this.#forwardDtmf);
    this.#forwardDtmf = undefined;
    await this.stopRelays();
    await this.stopMusic();
  }

  /** The relays (and any prepared ones) taken down; the caller's keys no longer forwarded. */
  protected async stopRelays(): Promise<void> {
    await Promise.all([...this.#relays.splice(0).map((relay) => relay.stop()), this.#dropPrepared()]);
  }

  /** Connected without relays (a move): the caller is no longer on hold. */
  protected connected(): void {
    this.#connected = true;
  }

  protected async stopMusic(): Promise<void> {
    const music = this.#music;
    this.#music = undefined;
    await music?.stop();
  }
}
