// The keeper: bridged calls carried on in the worker's main process, so that the job process that made the
// transfer can end (once caller and person talk, what is left is to carry their audio and end the call properly).
// The keeper reads only the transfer record (record/store.ts):
//   - a job whose call is bridged asks for it (the record's `handoff`); its worker's watcher passes the ask here.
//     The keeper gets the call into its own hands first (self-hosted: the forwarder bridges the caller's room and
//     the consultation room, forwarding the encoded audio; Cloud: the server already carries it, and both are
//     checked to be in the caller's room), then takes the record over (handOver raises the job's fence); the job
//     sees that, takes its relays down, and ends. A worker that is stopping offers its calls (and its jobs' asks)
//     to the other workers' keepers, which take them in the same way (takeOffered; drain.ts);
//   - a bridged record nobody attends any more (its job, keeper or whole worker died) is claimed by a watcher
//     and carried on here in the same way, with no job at all;
//   - while it keeps a call it renews the record's lease, and ends the call when either side hangs up (the forwarder
//     says who left; on Cloud RoomService is asked, presence.ts), after MAX_BRIDGED_CALL_S, or when a room is
//     closed under it: both rooms are deleted (hanging up whoever is left), the record is closed `handed_off`;
//   - a bridge the forwarder lost (or it exited) is bridged again (forwarding.ts); one it cannot carry is given up:
//     `keeperFailures` goes up in the record, its lease runs out, and a job is sent to relay it.
import { errorFields } from '../../core/pii.ts';
import { FencedError, LEASE_RENEW_MS, type TransferRecord } from '../transfer/record/store.ts';
import { TransferTimeline } from '../transfer/timeline.ts';
import { endKept } from './end.ts';
import { forwarderIdentity, Forwarding, HELD_SETTLE_MS, leftRoom, replacedBy, takenOver } from './forwarding.ts';
import { ASK_RETRY_MS, HANDOVER_OVERLAP_MS, KEEPER, KEEPER_TRIES, REBRIDGE_DELAY_MS, REBRIDGE_TRIES, type KeeperOptions, type Kept } from './options.ts';
import { type Carrier, type EndedBy, onTheLine } from './on-the-line.ts';
import { PresenceWatch } from './presence.ts';

export { ASK_RETRY_MS, HANDOVER_OVERLAP_MS, KEEPER, KEEPER_TRIES, REBRIDGE_DELAY_MS, REBRIDGE_TRIES } from './options.ts';
export { PRESENCE_POLL_MS } from './presence.ts'; // on Cloud, how often kept calls are looked at for a hang-up
export type { KeeperOptions } from './options.ts';

export class BridgeKeeper {
  readonly owner: string;
  readonly #options: KeeperOptions;
  readonly #kept = new Map<string, Kept>();
  /** Asks being carried out now, and asks that failed (not tried again before the time given). */
  readonly #taking = new Set<string>();
  readonly #refused = new Map<string, number>();
  readonly #forwarding: Forwarding | undefined;
  readonly #presence: PresenceWatch;
  #closed = false;
  /** Stopping (drain.ts): no call is taken any more, and the calls kept are offered to the other workers. */
  #draining = false;
  constructor(options: KeeperOptions) {
    this.#options = options;
    this.owner = `${KEEPER}${options.workerKey}`;
    this.#presence = new PresenceWatch(options.api, () => this.#now());
    this.#forwarding =
      options.startForwarder &&
      new Forwarding({
        start: options.startForwarder,
        identity: forwarderIdentity(options.workerKey),
        url: options.url,
        token: options.token,
        onLeft: (id, side) =>
          this.#with(id, (kept) => {
            kept.timeline.record('participant_left', { side });
            void this.#end(kept, side === 'caller' ? 'caller_hung_up' : 'destination_hung_up');
          }),
        onRoomClosed: (id) => this.#with(id, (kept) => void this.#end(kept, 'room_closed')),
        onLost: (id, message) =>
          this.#with(id, (kept) => {
            const replaced = replacedBy(message);
            kept.timeline.record('error', { effect: 'forward', lost: true, ...(replaced ? { replaced } : {}), ...errorFields(new Error(message)) });
            void (replaced ? this.#replaced(kept) : this.#rebridge(kept));
          }),
        onExit: (code, signal) => {
          if (this.#closed) return;
          this.#log({ event: 'forwarder_exited', code, signal, calls: this.#kept.size });
          for (const kept of this.#kept.values()) if (kept.carrier === 'forwarder') void this.#rebridge(kept);
        },
        isKept: (id) => this.#kept.has(id),
      });
  }

  /** The calls kept now, by transfer id (for tests and the load). */
  get kept(): ReadonlyMap<string, { carrier: Carrier; fence: number }> {
    return this.#kept;
  }
  /** Starts the forwarder before the first call needs it: starting it under load once took seconds. */
  warm = (): void => this.#forwarding?.warm();

  /** Whether this keeper can carry a bridged call of `topology`: the server's always, a relayed one with a forwarder. */
  carries(topology: TransferRecord['topology']): boolean {
    return topology === 'move' || (topology === 'bridge' && this.#forwarding !== undefined);
  }

  /** Whether `record` is a bridged call this keeper would carry (records of older versions stay with jobs). */
  wants(record: TransferRecord): boolean {
    return (
      !this.#closed &&
      !this.#draining &&
      record.phase.kind === 'bridged' &&
      record.consultationRoom !== undefined &&
      record.holdRoom === undefined &&
      this.carries(record.topology) &&
      (record.keeperFailures ?? 0) < KEEPER_TRIES
    );
  }

  /** A job of this worker asked for its bridged call to be kept (the watcher saw the ask); nothing if already under way. */
  ask(record: TransferRecord): void {
    const now = this.#now();
    for (const [id, until] of this.#refused) if (until <= now) this.#refused.delete(id);
    if (!this.wants(record) || this.#taking.has(record.id) || this.#kept.has(record.id) || this.#refused.has(record.id)) return;
    this.#taking.add(record.id);
    void this.#take(record, 'ask')
      .catch((error: unknown) => {
        this.#refused.set(record.id, now + ASK_RETRY_MS);
        this.#log({ event: 'keeper_refused', transfer: record.id, ...errorFields(error) });
      })
      .finally(() => this.#taking.delete(record.id));
  }

  /** A bridged record a watcher claimed (its carrier died), carried on; throws when it cannot be (a job is sent). */
  async carryOn(record: TransferRecord): Promise<void> {
    if (!this.wants(record)) throw new Error('the keeper does not carry this call');
    this.#taking.add(record.id);
    try {
      await this.#take(record, 'takeover');
    } finally {
      this.#taking.delete(record.id);
    }
  }

  /**
   * A call another worker offers as it stops (a bridged call its keeper or its job carries), taken by this keeper
   * when it is the first to claim the offer; as a job's ask, the one carrying it now lets go once it is taken.
   */
  async takeOffered(record: TransferRecord): Promise<void> {
    if (!this.wants(record) || record.owner === this.owner || this.#taking.has(record.id) || this.#kept.has(record.id)) return;
    if (!(await this.#options.store.takeOffer(record.id, this.owner))) return;
    this.#taking.add(record.id);
    await this.#take(record, 'drain').finally(() => this.#taking.delete(record.id));
  }

  /** From now on no call is taken; the calls kept are handed over by the worker's drain (drain.ts). */
  drain = (): void => void (this.#draining = true);

  /**
   * Stops carrying call `id` (another keeper has it now): no longer kept at once; the forwarder leaves its rooms
   * after `overlapMs`, while the phones start hearing the new one. Nothing is ended.
   */
  async letGo(id: string, overlapMs = HANDOVER_OVERLAP_MS): Promise<void> {
    const kept = this.#kept.get(id);
    if (!kept || kept.ending) return;
    this.#forget(kept);
    if (kept.carrier !== 'forwarder') return;
    await new Promise((resolve) => setTimeout(resolve, overlapMs));
    await this.#forwarding?.stop(id);
  }

  /** Leaves every call as it is (another worker's keeper takes them when their leases run out). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const kept of this.#kept.values()) for (const timer of kept.timers) clearInterval(timer);
    this.#kept.clear();
    this.#presence.close();
    await this.#forwarding?.close();
  }

  async #take(record: TransferRecord, how: 'ask' | 'takeover' | 'drain'): Promise<void> {
    const { store } = this.#options;
    const carrier: Carrier = record.topology === 'move' ? 'server' : 'forwarder';
    const since = this.#now();
    const present = await onTheLine(this.#options.api, record, carrier);
    const looked = this.#now();
    if (present !== 'both' && how !== 'takeover') throw new Error(`not both on the line (${present}): the job ends the call`);
    if (present !== 'both') {
      // Taken over after a hang-up nobody saw: what is left of the call is ended.
      const fence = await store.handOver(record.id, record.fence, this.owner);
      if (fence !== undefined) await this.#end(this.#keep(record, fence, carrier), present);
      return;
    }
    // Someone still carries it (its job, a stopping keeper): held (silent) while the phones subscribe, then released
    // once the old forwarder has left, or from a job at once (it sees the new fence within HAND_OVER_POLL_MS).
    const held = how !== 'takeover' && carrier === 'forwarder';
    const fromKeeper = held && how === 'drain' && record.owner.startsWith(KEEPER);
    const ready = carrier === 'forwarder' ? await this.#forwarding!.bridge(record, held) : undefined;
    if (held) await new Promise((resolve) => setTimeout(resolve, HELD_SETTLE_MS));
    const bridged = this.#now();
    const unbridge = async () => void (carrier === 'forwarder' && (await this.#forwarding?.stop(record.id)));
    const fence = await store.handOver(record.id, record.fence, this.owner).catch(async (error: unknown) => {
      await unbridge();
      throw error;
    });
    // Ended meanwhile (a hang-up), or someone else has it now: not ours to carry.
    if (fence === undefined) return unbridge();
    const kept = this.#keep(record, fence, carrier);
    const handed = this.#now();
    const oldLeft = fromKeeper ? await leftRoom(this.#options.api, record.callerRoom, forwarderIdentity(record.owner.slice(KEEPER.length))) : undefined;
    if (held) this.#forwarding!.release(record.id);
    kept.timeline.record('kept', {
      carrier,
      from: how === 'ask' ? 'job' : how,
      tookMs: this.#now() - since,
      steps: { lineMs: looked - since, bridgeMs: bridged - looked, ...(ready ? { forwarder: ready } : {}), recordMs: handed - bridged },
      ...(held ? { held: { ms: this.#now() - bridged + HELD_SETTLE_MS, ...(fromKeeper ? { oldLeft } : {}) } } : {}),
      // From a job: since it asked. From a dead carrier: how long nobody attended the call. From a stopping keeper: who.
      ...(how !== 'takeover' && record.handoff && !record.owner.startsWith(KEEPER)
        ? { sinceAskMs: this.#now() - record.handoff.askedAt }
        : how === 'drain'
          ? { previous: record.owner }
          : { gapMs: this.#now() - record.renewedAt }),
    });
    // A hang-up while the bridge was being made went to whoever carried the call then (the job, which may have
    // stood down before it saw it): looked for once more now that it is this keeper's.
    if (carrier === 'forwarder') {
      const after = await onTheLine(this.#options.api, record, carrier).catch(() => 'both' as const);
      if (after !== 'both') await this.#end(kept, after);
    }
  }

  #keep(record: TransferRecord, fence: number, carrier: Carrier): Kept {
    const timeline = new TransferTimeline({ transferId: record.id });
    if (this.#options.onTimeline) timeline.on('event', (entry) => this.#options.onTimeline!(record, entry));
    const kept: Kept = { record, fence, carrier, timeline, timers: [], ending: false };
    this.#kept.set(record.id, kept);
    kept.timers.push(setInterval(() => void this.#renew(kept), LEASE_RENEW_MS));
    const bridgedAt = record.bridgedAt ?? this.#now();
    kept.timers.push(setTimeout(() => void this.#end(kept, 'max_duration'), Math.max(0, bridgedAt + this.#options.maxBridgedMs - this.#now())));
    if (carrier === 'server') this.#presence.add(record.id, record.callerRoom, () => this.#look(kept));
    for (const timer of kept.timers) timer.unref();
    return kept;
  }

  async #renew(kept: Kept): Promise<void> {
    try {
      await this.#options.store.renew(kept.record.id, kept.fence, kept.record.callerRoom);
    } catch (error) {
      if (!(error instanceof FencedError) || kept.ending) return; // Redis away: the next renewal tries again
      // Someone else has it (this worker was taken for dead, or stopped): their keeper carries the call now (when
      // stopping, it waits for this one to leave before it carries the call: see #take).
      await this.letGo(kept.record.id, this.#draining ? 0 : HANDOVER_OVERLAP_MS);
      this.#log({ event: 'keeper_fenced', transfer: kept.record.id });
    }
  }

  async #look(kept: Kept): Promise<void> {
    // A poll under way may reach a call this keeper no longer has (fenced meanwhile): not its to end.
    const ours = () => !kept.ending && this.#kept.get(kept.record.id) === kept;
    if (!ours()) return;
    const present = await onTheLine(this.#options.api, kept.record, kept.carrier).catch(() => 'both' as const); // the server did not answer: look again
    if (present !== 'both' && ours()) await this.#end(kept, present);
  }

  /**
   * Another forwarder joined the call's rooms as ours did (a keeper taking it over, this worker stopping or taken
   * for dead): let go once its keeper has the record; bridged again if it never takes it.
   */
  async #replaced(kept: Kept): Promise<void> {
    if (await takenOver(this.#options.store, kept.record.id, kept.fence)) await this.letGo(kept.record.id, 0);
    else if (this.#kept.get(kept.record.id) === kept) await this.#rebridge(kept);
  }

  async #rebridge(kept: Kept): Promise<void> {
    const since = this.#now();
    for (let attempt = 1; attempt <= REBRIDGE_TRIES && !kept.ending && this.#kept.get(kept.record.id) === kept; attempt++) {
      try {
        // A bridge the forwarder still holds under this id (lost halfway) is let go first.
        await this.#forwarding?.stop(kept.record.id);
        await this.#forwarding!.bridge(kept.record);
        kept.timeline.record('kept', { carrier: 'forwarder', from: 'rebridge', tookMs: this.#now() - since, attempt });
        return;
      } catch (error) {
        kept.timeline.record('error', { effect: 'rebridge', attempt, ...errorFields(error) });
        await new Promise((resolve) => setTimeout(resolve, REBRIDGE_DELAY_MS));
      }
    }
    if (kept.ending || this.#kept.get(kept.record.id) !== kept) return;
    // The forwarder cannot carry it: a job relays it instead (the watcher that claims it once the lease runs out).
    this.#forget(kept);
    await this.#options.store
      .write(kept.record.id, kept.fence, { keeperFailures: (kept.record.keeperFailures ?? 0) + 1 })
      .catch((error: unknown) => this.#log({ event: 'keeper_give_up_failed', transfer: kept.record.id, ...errorFields(error) }));
    this.#log({ event: 'keeper_gave_up', transfer: kept.record.id });
  }

  /** Both rooms deleted (whoever is left is hung up), the record closed handed_off, the timeline ended (end.ts). */
  async #end(kept: Kept, endedBy: EndedBy): Promise<void> {
    if (kept.ending) return;
    kept.ending = true;
    this.#forget(kept);
    await endKept(kept, endedBy, this.#options, this.#forwarding, (entry) => this.#log(entry));
  }

  #with = (id: string, act: (kept: Kept) => void): void => void (this.#kept.has(id) && act(this.#kept.get(id)!));

  #forget(kept: Kept): void {
    for (const timer of kept.timers) clearInterval(timer);
    kept.timers = [];
    if (this.#kept.get(kept.record.id) !== kept) return;
    this.#kept.delete(kept.record.id);
    this.#presence.remove(kept.record.id);
  }

  readonly #now = (): number => (this.#options.now ?? Date.now)();

  #log(entry: Record<string, unknown>): void {
    (this.#options.log ?? ((line) => console.log(JSON.stringify(line))))(entry);
  }
}
