// One destination's attempt, as a request makes it (attempt.ts does the rest): built from the call's settings
// and services, speaking to the caller through the caller's session, and writing every transition to the
// request's record with where the caller and the destination are.
import type { Destination } from '../../settings/destination.ts';
import type { TransferOutcome } from '../../core/outcome.ts';
import { TransferAttempt } from './attempt.ts';
import type { ResumeFrom } from './attempt-context.ts';
import type { TransferCall } from './call-context.ts';
import type { CallerHold } from './hold/caller-hold.ts';
import { liveKitLinks } from './links.ts';
import type { TransferRecordHandle } from './record/handle.ts';

export interface NextAttempt {
  destination: Destination | undefined;
  willRetry: (outcome: TransferOutcome) => boolean;
  /** Its place in the record's chain. */
  index: number;
  /** The caller's hold, shared by every destination of the request. */
  hold: CallerHold;
  reason: string;
  brief: boolean;
  known: string | undefined;
  /** The conversation so far, for the briefing. */
  transcript: string;
  fromNumber: string | undefined;
  /** Set for the first attempt of a taken-over transfer: where it picks up (takeover/resume.ts). */
  resume: ResumeFrom | undefined;
}

export function nextAttempt(call: TransferCall, record: TransferRecordHandle, next: NextAttempt): TransferAttempt {
  const { options, settings, maxBridgedMs } = call;
  const { hold, index } = next;
  const transfer = new TransferAttempt(
    {
      links: options.links ?? liveKitLinks(options.credentials),
      api: options.api,
      caller: { room: options.room, identity: options.callerIdentity },
      hold,
      authorise: call.authorise,
      sayToCaller: (text) => call.caller.say(text),
      // A taken-over job's caller session starts as the transfer turns back to the caller, not when it speaks.
      readyCaller: () => {
        if (!call.caller.started && options.room.remoteParticipants.has(options.callerIdentity)) void call.caller.start();
      },
      willRetry: next.willRetry,
      models: options.models,
      ringingTimeoutMs: settings.warmTransfer.ringingTimeoutMs,
      decisionTimeoutMs: settings.warmTransfer.decisionTimeoutMs,
      deadlineAt: record.deadlineAt,
      maxBridgedMs,
      ...(options.onTimeline ? { onTimeline: options.onTimeline } : {}),
      transferId: record.id,
      // Every transition goes to the record (where the caller is held, the hold writes itself).
      onRecord: (patch) => record.update({ ...patch, index }),
    },
    {
      destination: next.destination,
      reason: next.reason,
      transcript: next.transcript,
      fromNumber: next.fromNumber,
      brief: next.brief,
      ...(next.known !== undefined ? { known: next.known } : {}),
      ...(next.resume ? { resume: next.resume } : {}),
    },
  );
  void record.update({ index, consultationRoom: transfer.consultationRoomName, phase: transfer.machine.phase });
  return transfer;
}
