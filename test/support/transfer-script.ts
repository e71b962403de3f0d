// Scripted transfers for the transfers page's tests: each step recorded by the worker's own TransferTimeline (on
// a clock the test sets), in the worker's order and with the fields it gives them (destinationFields, and the
// caller's number and room only through pii()).
import { pii, type TimelineEntry, TransferTimeline } from '../../agent/transfer/timeline.ts';
import { destinationFields, parseDestination } from '../../settings/destination.ts';
import type { TransferOutcome } from '../../core/outcome.ts';

export interface ScriptedAttempt {
  destination: string;
  outcome: Extract<TransferOutcome, 'accepted' | 'rejected' | 'no_answer' | 'busy' | 'caller_hung_up'>;
  /** Seconds from the dial to the answer (or to giving up ringing). */
  ringS: number;
  /** Seconds from the answer to the decision. */
  briefS?: number;
}

export interface ScriptedTransfer {
  transferId: string;
  startMs: number;
  caller: string;
  attempts: ScriptedAttempt[];
  /** Leave the last attempt running: no end recorded. */
  unfinished?: boolean;
}

function destinationOf(raw: string) {
  const parsed = parseDestination(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.destination;
}

/** Records one transfer's steps, in the order and with the fields the worker records them. */
export function recordTransfer(transfer: ScriptedTransfer, onEntry: (entry: TimelineEntry) => void): void {
  let now = transfer.startMs;
  const timeline = new TransferTimeline({ transferId: transfer.transferId, sink: () => undefined, now: () => now });
  timeline.on('event', onEntry);
  const at = (seconds: number) => (now += Math.round(seconds * 1000));
  transfer.attempts.forEach((attempt, index) => {
    const destination = destinationOf(attempt.destination);
    const last = index === transfer.attempts.length - 1;
    timeline.record('started', { ...destinationFields(destination), ...pii({ identity: `sip_${transfer.caller}`, roomName: `call_${transfer.caller}_x7Yq` }) });
    at(0.4);
    timeline.record('hold_started', { topology: 'bridge', alreadyOnHold: index > 0 });
    at(0.2);
    timeline.record('dialing', { ...destinationFields(destination), ...pii({ phoneNumber: transfer.caller }) });
    at(0.3);
    timeline.record('ringing', {});
    at(attempt.ringS);
    if (last && transfer.unfinished) return;
    if (attempt.outcome === 'no_answer' || attempt.outcome === 'busy') {
      timeline.record('returned', { reason: attempt.outcome, sipStatus: attempt.outcome === 'busy' ? 486 : 480 });
      timeline.record('ended', { outcome: attempt.outcome });
      return;
    }
    if (attempt.outcome === 'caller_hung_up') {
      timeline.record('participant_left', { who: 'caller' });
      timeline.record('ended', { outcome: attempt.outcome });
      return;
    }
    timeline.record('answered', {});
    timeline.record('briefing_started', {});
    at(attempt.briefS ?? 15);
    const choice = attempt.outcome === 'accepted' ? 'accept' : 'reject';
    timeline.record('decision', { choice, source: 'keypad' });
    if (choice === 'accept') {
      at(0.1);
      timeline.record('bridged', { topology: 'bridge', carrier: 'relay' });
      at(90);
    } else {
      at(0.5);
    }
    timeline.record('ended', { outcome: attempt.outcome });
  });
}
