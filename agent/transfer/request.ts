// One transfer request (a warm_transfer call, a key press, or a transfer a watcher claimed for this job) and
// everything it holds while it runs: its record in Redis, its places under the transfer limits, its count
// toward the worker's load, the caller's hold, and the chain of destinations tried in order (chain.ts).
//   open   -> a new request: places taken, then the record opened (refused: nothing is kept, nobody held);
//             a taken-over one is adopted instead (takeover/resume.ts);
//   run    -> the caller held, each destination tried until one is bridged or the chain is over;
//   ended  -> record closed 'ended', places and lease released;
//   bridged-> the agent drops out; when the bridged call ends the record is closed 'handed_off', the
//             places released, and the call handed off. With a keeper that carries its topology, the job
//             asks it to take the bridged call over instead, and once it has, stands down and ends.
import { randomUUID } from 'node:crypto';
import { log } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { callerMessage } from '../../prompts/outcomes.ts';
import { errorFields } from '../../core/pii.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import { type Destination, formatDestination } from '../../settings/destination.ts';
import type { Models } from '../conversation/models.ts';
import type { OrganizationSlot, RequestPlaces } from '../capacity/transfer-limits.ts';
import type { ResumeFrom } from './attempt-context.ts';
import { transcriptOf } from './briefing/summary.ts';
import type { TransferCall } from './call-context.ts';
import { TransferChain } from './chain.ts';
import { CallerHold } from './hold/caller-hold.ts';
import type { TopologyKind } from './hold/topology.ts';
import { nextAttempt } from './next-attempt.ts';
import { type OpenResult, TransferRecordHandle } from './record/handle.ts';
import { storedDestination } from './record/stored-chain.ts';
import type { TransferRecord } from './record/store.ts';

/** What was asked, as the record keeps it for a job that takes the transfer over. */
export type RequestFacts = NonNullable<TransferRecord['request']>;

/** A request refused before anything started: by the record (open already, handed off, Redis away) or a limit. */
export type Refusal = Exclude<OpenResult, { ok: true }>['reason'] | 'call_limit' | 'organization_limit';

export type Opened = { ok: true; request: TransferRequest } | { ok: false; reason: Refusal };

/** Where a taken-over transfer picks up (takeover/resume.ts reads it from the record). */
export interface PickUp {
  /** The topology the transfer started with: the caller is where it put them. */
  topology: TopologyKind | undefined;
  /** The record's chain index of the first destination tried here. */
  index: number;
  /** Where the first attempt picks up: its phase, its consultation room, what the person was told. */
  firstAttempt: ResumeFrom;
  /** The caller ID the destination was dialled with. */
  fromNumber: string | undefined;
}

export interface RunPlan {
  /** The destinations to try, in order; undefined: a taken-over record's unreadable one, never dialled. */
  chain: readonly (Destination | undefined)[];
  reason: string;
  /** False for an ordinary (cold) transfer: connected as soon as the destination answers. */
  brief: boolean;
  /** Facts the briefing states without a model (a screened keypad transfer's). */
  known?: string | undefined;
  pickUp?: PickUp;
}

/** How a destination is named in notes and tool results; a taken-over record's unreadable one has no name. */
const labelOf = (destination: Destination | undefined) => (destination ? formatDestination(destination) : 'the person you were being connected to');

async function* speech(models: Models, text: string): AsyncIterable<AudioFrame> {
  for await (const audio of models.tts.synthesize(text)) yield audio.frame;
}

export class TransferRequest {
  readonly #call: TransferCall;
  readonly record: TransferRecordHandle;
  readonly #organization: OrganizationSlot | undefined;

  constructor(call: TransferCall, record: TransferRecordHandle, organization?: OrganizationSlot) {
    this.#call = call;
    this.record = record;
    this.#organization = organization;
  }

  /**
   * A new request for `chain`: its places under the limits, then its record. Whether a transfer is open for
   * this call, or the caller has already been handed to someone, is the record's to say: one atomic check,
   * whichever process asks.
   */
  static async open(call: TransferCall, chain: readonly Destination[], facts: RequestFacts): Promise<Opened> {
    const { options } = call;
    const id = randomUUID();
    let places: RequestPlaces | undefined;
    try {
      const taken = await options.limits?.takeForRequest(options.room.name!, options.organizationId || undefined, id);
      if (typeof taken === 'string') return { ok: false, reason: taken };
      places = taken;
    } catch (error) {
      // A limit that cannot be read: nobody is put on hold, as without a record.
      call.onRecordProblem(error);
      return { ok: false, reason: 'unavailable' };
    }
    const opened = await TransferRecordHandle.open(
      options.records,
      {
        id,
        owner: call.owner,
        agentId: call.settings.agentId,
        callerRoom: options.room.name!,
        callerIdentity: options.callerIdentity,
        // Canonical, so a takeover reads them back exactly (stored-chain.ts).
        chain: chain.map(storedDestination),
        index: 0,
        phase: { kind: 'idle' },
        // One deadline for the whole request, however many destinations its rule names.
        deadlineAt: Date.now() + options.deadlineMs,
        request: withFromNumber(call, facts),
      },
      call.onRecordProblem,
      options.onFenced,
    );
    if (!opened.ok) {
      await places?.giveBack();
      return opened;
    }
    return { ok: true, request: new TransferRequest(call, opened.record, places?.organization) };
  }

  /** What was asked changed before anything ran (a screened transfer's briefing): a takeover reads it. */
  restate(facts: RequestFacts): void {
    void this.record.update({ request: withFromNumber(this.#call, facts) });
  }

  /** Ends a request that never ran (or was handed off without a dial): its record closed, its place freed. */
  async close(how: 'ended' | 'handed_off'): Promise<void> {
    await Promise.all([this.record.close(how), this.#organization?.release()]);
  }

  /** Tries the plan's destinations in order while the caller stays on hold (chain.ts); the last outcome. */
  async run(plan: RunPlan): Promise<{ outcome: TransferOutcome; label: string }> {
    const call = this.#call;
    // Keypad 0 on hold: the caller stops waiting, and the chain tries no one else.
    const hold = this.#hold(plan.pickUp, () => chain.stop());
    const chain = this.#chain(plan, hold);
    const carried = call.options.carry?.(this.record.id);
    const release = () => Promise.all([carried?.release(), this.#organization?.release()]);
    call.running.add(this);
    const done = () => call.running.delete(this);
    let result;
    try {
      result = await chain.run();
    } catch (error) {
      log().error({ ...errorFields(error, { stack: true }), transfer: this.record.id }, 'warm transfer failed');
      await Promise.all([release(), this.record.close('ended')]).finally(done);
      throw error;
    }
    const { bridged } = result;
    if (bridged) {
      // The agent drops out: it no longer listens, speaks or calls tools. Closing waits for the tool that
      // asked for this transfer to return, so it is not awaited here.
      call.caller.close();
      let handedOver = false;
      void bridged.done.then(async () => {
        if (handedOver) return;
        await hold
          .close()
          .finally(() => Promise.all([release(), this.record.close('handed_off')]))
          .finally(done);
        call.options.onCallHandedOff();
      });
      const { keeper } = call.options;
      const topology = hold.topology?.kind;
      if (keeper && topology && bridged.standDown && keeper.carries(topology)) {
        const organizationId = call.options.organizationId;
        void this.record.handOver({ handoff: { askedAt: Date.now() }, bridgedAt: Date.now(), ...(organizationId ? { organizationId } : {}) }).then(async () => {
          // Ended here first (a hang-up): that end is under way, and the keeper found nothing to keep.
          if (bridged.phase === 'ended') return;
          handedOver = true;
          // Quiet first (nothing watched or done any more), then the relays down: the keeper carries the audio.
          await bridged.standDown!();
          await hold.close().catch(() => undefined);
          await release().finally(done);
          keeper.handedOver();
        });
      }
    } else {
      await Promise.all([release(), this.record.close('ended')]).finally(done);
    }
    return { outcome: result.outcome, label: result.label };
  }

  #chain(plan: RunPlan, hold: CallerHold): TransferChain<Destination | undefined> {
    const call = this.#call;
    return new TransferChain<Destination | undefined>({
      chain: plan.chain,
      label: labelOf,
      hold,
      deadlineAt: this.record.deadlineAt,
      tellCaller: (outcome) => {
        const message = callerMessage(outcome);
        if (message) call.caller.say(message);
      },
      progressNoteIntervalMs: call.settings.warmTransfer.progressNoteIntervalMs,
      resumed: plan.pickUp !== undefined,
      attempt: (destination, willRetry, chainIndex) => {
        // A taken-over transfer picks up where the record says with its first attempt only.
        const pickingUp = chainIndex === 0 ? plan.pickUp : undefined;
        return nextAttempt(call, this.record, {
          destination,
          willRetry,
          index: chainIndex + (plan.pickUp?.index ?? 0),
          hold,
          reason: plan.reason,
          brief: plan.brief,
          known: plan.known,
          transcript: transcriptOf(call.caller.history),
          fromNumber: pickingUp?.fromNumber ?? call.fromNumber(),
          resume: pickingUp?.firstAttempt,
        });
      },
    });
  }

  /** The caller's hold for this request; a taken-over one keeps the topology it started with. */
  #hold(pickUp: PickUp | undefined, onStopWaiting: () => void): CallerHold {
    const { options, caller } = this.#call;
    return new CallerHold({
      mode: pickUp?.topology ?? options.topology,
      serverUrl: options.credentials.url,
      topology: {
        caller: { room: options.room, identity: options.callerIdentity, muteAgent: (muted) => caller.mute(muted) },
        music: options.music,
        api: options.api,
        ...(options.fault ? { fault: options.fault } : {}),
      },
      ...(options.topologyMemory ? { memory: options.topologyMemory } : {}),
      // How the caller is connected is in the record before the call is (write-ahead).
      writeAhead: (where) => this.record.writeAhead(where),
      speak: (text) => speech(options.models, text),
      onStopWaiting,
    });
  }
}

function withFromNumber(call: TransferCall, facts: RequestFacts): RequestFacts {
  const number = call.fromNumber();
  return number ? { ...facts, fromNumber: number } : facts;
}
