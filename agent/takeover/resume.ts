// Takeover, the new job's side. A watcher (watcher.ts) claimed the record of a transfer whose job died and
// dispatched a job into the caller's room with a ResumeOrder in its metadata. That job:
//   1. reads the record: if its fence moved on (ended, or claimed again) there is nothing to carry on;
//   2. goes back to a person left mid-briefing at once, before anything else (early-rejoin.ts);
//   3. connects, and brings a caller left in the hold room of a dead job of an older version home (Cloud);
//   4. adopts the record and carries the transfer on from the phase it holds, then with the rule's
//      remaining destinations (resumePlan: what the record says the new job does);
//   5. ends the call if nobody is left to talk to.
import { randomUUID } from 'node:crypto';
import { log, type tts } from '@livekit/agents';
import type { RemoteParticipant, Room } from '@livekit/rtc-node';
import { REASON_NOT_KEPT } from '../../prompts/briefing.ts';
import { errorFields } from '../../core/pii.ts';
import { bounded } from '../../core/bounded.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import { quietly, type RoomApi } from '../livekit/room-api.ts';
import { DESTINATION_IDENTITY } from '../transfer/consultation.ts';
import type { TransferCall } from '../transfer/call-context.ts';
import { bringCallerHome } from './bring-home.ts';
import { RECORD_WRITE_TIMEOUT_MS, TransferRecordHandle } from '../transfer/record/handle.ts';
import { readStoredChain } from '../transfer/record/stored-chain.ts';
import type { TransferRecord, TransferRecordStore } from '../transfer/record/store.ts';
import { type RunPlan, TransferRequest } from '../transfer/request.ts';
import { type EarlyRejoin, rejoinEarly } from './early-rejoin.ts';

/** A record a watcher claimed and dispatched this job to carry on. */
export interface ResumeOrder {
  id: string;
  fence: number;
  /** 'end': the transfer failed too often; take the caller back and let the destination go, nothing more. */
  mode: 'resume' | 'end';
}

/** How long a taken-over call's job looks for the caller in their room before carrying on without them. */
const CALLER_LOOKUP_MS = 1500;

/** The order in a dispatched job's metadata, if it carries one. */
export function resumeOrderFromMetadata(metadata: string | undefined): ResumeOrder | undefined {
  try {
    const parsed = JSON.parse(metadata ?? '') as { resume?: Partial<ResumeOrder> };
    const order = parsed?.resume;
    if (order && typeof order.id === 'string' && Number.isInteger(order.fence) && (order.mode === 'resume' || order.mode === 'end')) {
      return { id: order.id, fence: order.fence!, mode: order.mode };
    }
  } catch {
    // Not JSON: an agent id, or nothing.
  }
  return undefined;
}

/** What the record says the new job does: which destinations it tries, from which phase of the first. */
export function resumePlan(order: ResumeOrder, stored: TransferRecord, early: EarlyRejoin | undefined): RunPlan {
  const chain = readStoredChain(stored.chain);
  if (!chain) log().error({ transfer: order.id, 'lk.pii.chain': stored.chain }, "takeover: the record's destinations cannot be read; ending the transfer");
  const rest = chain?.slice(stored.index) ?? [];
  const request = stored.request ?? { reason: REASON_NOT_KEPT, brief: true };
  // Nothing to carry on: from idle, the resume takes the caller back and told, and tells and lets go the
  // person if they are on the line (phase.ts); no destination is dialled, and the record is closed.
  const phase = order.mode === 'end' || rest.length === 0 ? ({ kind: 'idle' } as const) : stored.phase;
  return {
    chain: rest.length > 0 ? rest : chain ? chain.slice(-1) : [undefined],
    reason: request.reason,
    brief: request.brief,
    known: request.known,
    pickUp: {
      topology: stored.topology,
      index: Math.max(0, Math.min(stored.index, stored.chain.length - 1)),
      fromNumber: stored.request?.fromNumber,
      firstAttempt: {
        phase,
        consultationRoom: stored.consultationRoom ?? `wt-${randomUUID()}`,
        renewedAt: stored.renewedAt,
        resumes: stored.resumes,
        ...(stored.summary ? { summary: stored.summary } : {}),
        // Bridged by the server's move: the person in the caller's room (or, for a record of an older version
        // that moved the caller, both in the consultation room).
        bridgedIn: stored.topology === 'move' && phase.kind === 'bridged' ? (stored.holdRoom ? stored.consultationRoom : stored.callerRoom) : undefined,
        ...(early ? { early } : {}),
      },
    },
  };
}

/**
 * Adopts the record the order names and carries its transfer on. Undefined when it cannot be adopted (the
 * transfer ended meanwhile, or was claimed again).
 */
export async function resumeTransfer(call: TransferCall, order: ResumeOrder, early?: EarlyRejoin): Promise<TransferOutcome | undefined> {
  let outcome: TransferOutcome | undefined;
  try {
    outcome = await carryOn(call, order, early);
    return outcome;
  } finally {
    // The caller is with the agent again (or never left it): its session starts now if nothing has started it.
    const { room, callerIdentity } = call.options;
    if (!call.caller.started && outcome !== 'accepted' && room.remoteParticipants.has(callerIdentity)) await call.caller.start();
  }
}

async function carryOn(call: TransferCall, order: ResumeOrder, early: EarlyRejoin | undefined): Promise<TransferOutcome | undefined> {
  const { options } = call;
  let adopted;
  try {
    adopted = await TransferRecordHandle.adopt(options.records, order.id, order.fence, call.owner, call.onRecordProblem, options.onFenced);
  } catch (error) {
    log().warn({ error, transfer: order.id }, 'takeover: the transfer record could not be adopted');
    return undefined;
  }
  const { record, stored } = adopted;
  // A transfer carried on by this job keeps its place among the organization's, whatever the count.
  const { limits, organizationId } = options;
  const slot =
    limits && organizationId && limits.perOrganization !== undefined
      ? await limits.takeForOrganization(organizationId, record.id, true).catch(() => undefined)
      : undefined;
  const { outcome } = await new TransferRequest(call, record, slot).run(resumePlan(order, stored, early));
  return outcome;
}

/** A job dispatched to carry a transfer on, from reading its record to ending the call if nobody is left. */
export class Takeover {
  readonly order: ResumeOrder;
  readonly stored: TransferRecord;
  /** The consultation room joined, and the person apologised to, before anything else. */
  readonly early: EarlyRejoin | undefined;

  private constructor(order: ResumeOrder, stored: TransferRecord, early: EarlyRejoin | undefined) {
    this.order = order;
    this.stored = stored;
    this.early = early;
  }

  /**
   * The takeover `metadata` orders: undefined for an ordinary call, 'over' when the record's transfer has
   * ended or was claimed again. Someone left mid-briefing by the dead job hears an apology before this job
   * has even connected to the caller's room (that, finding the caller and starting sessions takes seconds).
   */
  static async begin(
    metadata: string | undefined,
    records: TransferRecordStore,
    consultation: { join(room: string): Promise<Room>; tts: tts.TTS },
  ): Promise<Takeover | 'over' | undefined> {
    const order = resumeOrderFromMetadata(metadata);
    if (!order) return undefined;
    const stored = await bounded(records.read(order.id), RECORD_WRITE_TIMEOUT_MS, 'reading the transfer record').catch(() => undefined);
    if (stored?.fence !== order.fence) {
      log().info({ transfer: order.id }, 'takeover: the transfer has ended or was claimed again; nothing to carry on');
      return 'over';
    }
    const room = stored.consultationRoom;
    const early =
      order.mode === 'resume' && stored.phase.kind === 'briefing' && room && stored.request?.brief !== false
        ? rejoinEarly({ join: () => consultation.join(room), personIdentity: DESTINATION_IDENTITY, tts: consultation.tts })
        : undefined;
    return new Takeover(order, stored, early);
  }

  /** Cloud: a caller still in the dead job's hold room is moved back into `callerRoom`. */
  async bringCallerHome(api: RoomApi, callerRoom: string): Promise<void> {
    const { stored } = this;
    // The record alone says where the caller may be: a hold room is written before the caller is moved into it.
    if (!stored.holdRoom) return;
    const where = await bringCallerHome(
      api,
      { holdRoom: stored.holdRoom, callerIdentity: stored.callerIdentity, bridged: stored.phase.kind === 'bridged' },
      callerRoom,
    );
    if (where === 'stuck') {
      // Still in the old hold room, whose music died with its job: ending their leg (deleting that room) is
      // better than leaving them in silence. The resumed transfer then finds no caller, tells the destination
      // and lets them go.
      log().error({ transfer: this.order.id, holdRoom: stored.holdRoom }, 'takeover: the caller could not be moved back from the hold room; ending their call');
      await quietly(api.deleteRoom(stored.holdRoom!));
    }
  }

  /** The caller, if they are in `room` or join it soon: they may have hung up while nobody attended. */
  async findCaller(room: Room): Promise<RemoteParticipant | undefined> {
    const deadline = Date.now() + CALLER_LOOKUP_MS;
    while (Date.now() < deadline) {
      const found = room.remoteParticipants.get(this.stored.callerIdentity);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return room.remoteParticipants.get(this.stored.callerIdentity);
  }

  /**
   * Carries the transfer on (`resume`: the call's resumeTransfer); then, when the caller is gone and nobody
   * else is connected, ends the call: the dead job's participant would otherwise keep the room open.
   */
  async carryOn(
    resume: (order: ResumeOrder, early?: EarlyRejoin) => Promise<TransferOutcome | undefined>,
    callerPresent: () => boolean,
    endCall: (why: string) => Promise<void>,
  ): Promise<void> {
    const outcome = await resume(this.order, this.early).catch((error: unknown) => {
      log().error({ ...errorFields(error, { stack: true }), transfer: this.order.id }, 'takeover: carrying the transfer on failed');
      return undefined;
    });
    await this.early?.release();
    // Without a caller there is nobody left to talk to once the destination has been let go.
    if (!callerPresent() && outcome !== 'accepted') await endCall('caller gone');
  }
}
