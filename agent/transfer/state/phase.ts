/**
 * The warm transfer as a value, and the one pure function that moves it along.
 *
 * State chart, in prose. Each line is "event → next phase [effects]"; any event not listed for a phase is
 * ignored on purpose (same phase, no effects, `ignored: true`): that is how the first decision wins, and how
 * late news (a second keypress, ringing after the answer, a dial result after the caller left) is dropped.
 *
 * idle: nothing has happened yet.
 *   start → dialing [hold, dial]
 *   resume{phase} (takeover: a new job carries on a transfer whose job died, from the phase its record holds)
 *     dialing    → dialing [hold, rejoin] (music again; rejoin finds the SIP leg still ringing, or dials again)
 *     briefing   → briefing [hold, rejoin, reassure] ("Sorry, I lost you for a moment", and the question again)
 *     connecting, bridged by the worker → connecting [hold, rejoin, bridge] (the relay is built again)
 *     bridged by the server (Cloud move) → bridged [rejoin] (only the hang-up watch is needed)
 *     notifying  → notifying [rejoin, tell_destination_caller_left]
 *     anything else → notifying{interrupted} [unhold, tell_caller, rejoin, tell_destination_caller_left]
 *       (the caller back with an apology first; then the person, if rejoin finds them, hears why and is let go)
 *   (rejoin failing sends resume_failed: dialing, briefing, connecting → ended{interrupted}, the caller back
 *    with an apology and the destination let go; notifying → ended{its outcome}.)
 * dialing{ringing}: the caller hears hold music; the destination is being called.
 *   ringing → dialing{ringing: true}
 *   answered → briefing [brief]
 *   dial_failed{reason} → ended{reason} [unhold, tell_caller, finish]
 *   hold_failed → ended{hold_failed} [cancel_dial, unhold, tell_caller, finish]
 *     (nobody is dialled or briefed for a caller who is not on hold: the dial waits behind the hold, and is skipped)
 *   caller_left → ended{caller_hung_up} [cancel_dial, finish]
 *   cancel → ended{cancelled} [cancel_dial, unhold, tell_caller, finish]
 *   deadline → ended{no_answer} [cancel_dial, unhold, tell_caller, finish]
 *   (destination_left is ignored here: the dial itself reports why it failed, with the SIP status.)
 * briefing{prompted, reprompted}: the destination is being told about the call, then asked to accept or reject.
 *   prompted → briefing{prompted: true} [arm_decision_timer] (again after a re-prompt: the wait restarts)
 *   decision{accept} → connecting [disarm_decision_timer, bridge]
 *   decision{reject} → ended{rejected} [disarm_decision_timer, hang_up_destination, unhold, tell_caller, finish]
 *   invalid_key → briefing [reprompt{invalid_key}] (the decision stays open)
 *   unclear (the offline recogniser heard words it could not take for a yes or a no), once prompted →
 *     briefing [reprompt{unclear}] ("please press 1 or 9"; before the question the briefing itself goes on)
 *   conversation{active}, once prompted: active → [disarm_decision_timer]; quiet again → [arm_decision_timer]
 *     (someone is talking: the person, or the briefing agent answering them. A person asking questions is
 *     not re-prompted or rejected while the conversation goes on; the wait starts again when it stops.)
 *   decision_timeout, once prompted: the first → briefing{reprompted: true} [reprompt{timeout}, arm_decision_timer];
 *     the second → ended{rejected, source: timeout} [hang_up_destination, unhold, tell_caller, finish]
 *   voicemail → ended{voicemail} [disarm, hang_up_destination, unhold, tell_caller, finish]
 *   destination_left → ended{destination_hung_up} [disarm, unhold, tell_caller, finish]
 *   caller_left → notifying{caller_hung_up} [disarm, tell_destination_caller_left]
 *   cancel → notifying{cancelled} [disarm, unhold, tell_caller, tell_destination_caller_left]
 *   deadline → ended{timed_out} [disarm, hang_up_destination, unhold, tell_caller, finish]
 * notifying{outcome}: the destination hears that the caller is gone, so nobody waits on a dead line.
 *   notice_done → ended{outcome} [hang_up_destination, finish]
 *   destination_left → ended{outcome} [finish]
 *   deadline → ended{outcome} [hang_up_destination, finish]
 * connecting{source}: accepted; the bridge is being built (the bridge effect stops the music).
 *   bridge_ready → bridged
 *   bridge_failed → ended{bridge_failed} [hang_up_destination, unhold, tell_caller, finish]
 *   caller_left → ended{caller_hung_up} [hang_up_destination, finish]
 *   destination_left → ended{destination_hung_up} [unhold, tell_caller, finish]
 *   deadline → ended{timed_out} [hang_up_destination, unhold, tell_caller, finish]
 *     (a bridge that hangs must not leave the caller on hold for ever)
 * bridged{source}: caller and destination talk; the agent is out and waits for either side to hang up.
 *   caller_left → ended{accepted} [hang_up_destination, finish]
 *   destination_left → ended{accepted} [hang_up_caller, finish]
 *   max_duration → ended{accepted} [hang_up_destination, hang_up_caller, finish] (MAX_BRIDGED_CALL_S)
 * ended{outcome, source?}: terminal; every event is ignored.
 *
 * Every way into `ended` declares `finish` last, so the orchestrator's single idempotent exit runs after the
 * rest of the clean-up, and only once.
 */
import type { DecisionSource, DialFailure, TransferOutcome } from '../../../core/outcome.ts';

export type TransferPhase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'dialing'; readonly ringing: boolean }
  | { readonly kind: 'briefing'; readonly prompted: boolean; readonly reprompted: boolean }
  | { readonly kind: 'connecting'; readonly source: DecisionSource }
  // `source` is carried through so an accepted transfer still reports how it was accepted.
  | { readonly kind: 'bridged'; readonly source: DecisionSource }
  | { readonly kind: 'notifying'; readonly outcome: TransferOutcome }
  | { readonly kind: 'ended'; readonly outcome: TransferOutcome; readonly source?: DecisionSource };

export type PhaseKind = TransferPhase['kind'];

export type TransferEvent =
  | { readonly type: 'start' }
  | { readonly type: 'resume'; readonly phase: TransferPhase; readonly bridgedByServer?: boolean }
  | { readonly type: 'resume_failed'; readonly message: string }
  | { readonly type: 'ringing' }
  | { readonly type: 'answered' }
  | { readonly type: 'dial_failed'; readonly reason: DialFailure; readonly sipStatus?: number }
  | { readonly type: 'hold_failed'; readonly message: string }
  | { readonly type: 'prompted' }
  | { readonly type: 'decision'; readonly choice: 'accept' | 'reject'; readonly source: 'keypad' | 'voice' }
  | { readonly type: 'invalid_key'; readonly digit: string }
  | { readonly type: 'unclear' }
  | { readonly type: 'conversation'; readonly active: boolean }
  | { readonly type: 'decision_timeout' }
  | { readonly type: 'voicemail' }
  | { readonly type: 'destination_left' }
  | { readonly type: 'caller_left' }
  | { readonly type: 'cancel' }
  | { readonly type: 'bridge_ready' }
  | { readonly type: 'bridge_failed'; readonly message: string }
  | { readonly type: 'notice_done' }
  | { readonly type: 'deadline' }
  | { readonly type: 'max_duration' };

export type TransferEffect =
  | { readonly type: 'hold' }
  | { readonly type: 'unhold' }
  | { readonly type: 'dial' }
  | { readonly type: 'rejoin' }
  | { readonly type: 'reassure' }
  | { readonly type: 'cancel_dial' }
  | { readonly type: 'brief' }
  | { readonly type: 'reprompt'; readonly reason: 'invalid_key' | 'timeout' | 'unclear' }
  | { readonly type: 'arm_decision_timer' }
  | { readonly type: 'disarm_decision_timer' }
  | { readonly type: 'bridge' }
  | { readonly type: 'tell_destination_caller_left' }
  | { readonly type: 'hang_up_destination' }
  | { readonly type: 'hang_up_caller' }
  | { readonly type: 'tell_caller'; readonly outcome: TransferOutcome }
  | { readonly type: 'finish'; readonly outcome: TransferOutcome };

export interface Transition {
  readonly phase: TransferPhase;
  readonly effects: readonly TransferEffect[];
  readonly ignored: boolean;
}

const HOLD = { type: 'hold' } as const;
const UNHOLD = { type: 'unhold' } as const;
const DIAL = { type: 'dial' } as const;
const CANCEL_DIAL = { type: 'cancel_dial' } as const;
const ARM = { type: 'arm_decision_timer' } as const;
const DISARM = { type: 'disarm_decision_timer' } as const;
const HANG_UP_DESTINATION = { type: 'hang_up_destination' } as const;
const TELL_DESTINATION = { type: 'tell_destination_caller_left' } as const;
const HANG_UP_CALLER = { type: 'hang_up_caller' } as const;
const REJOIN = { type: 'rejoin' } as const;

const go = (phase: TransferPhase, ...effects: TransferEffect[]): Transition => ({ phase, effects, ignored: false });

/** Ends the transfer with `finish` as the last effect. */
function end(outcome: TransferOutcome, before: TransferEffect[], source?: DecisionSource): Transition {
  const phase: TransferPhase = source === undefined ? { kind: 'ended', outcome } : { kind: 'ended', outcome, source };
  return go(phase, ...before, { type: 'finish', outcome });
}

/** Ends the transfer while the caller is still on the line: off hold, tell them what happened, then finish. */
function backToCaller(outcome: TransferOutcome, before: TransferEffect[], source?: DecisionSource): Transition {
  return end(outcome, [...before, UNHOLD, { type: 'tell_caller', outcome }], source);
}

/** Pure: the next phase and the effects of getting there. Never throws; unexpected events come back `ignored`. */
export function transition(phase: TransferPhase, event: TransferEvent): Transition {
  return next(phase, event) ?? { phase, effects: [], ignored: true };
}

function next(phase: TransferPhase, event: TransferEvent): Transition | undefined {
  switch (phase.kind) {
    case 'idle':
      if (event.type === 'resume') return resumed(event);
      return event.type === 'start' ? go({ kind: 'dialing', ringing: false }, HOLD, DIAL) : undefined;
    case 'dialing':
      switch (event.type) {
        case 'resume_failed':
          return backToCaller('interrupted', [CANCEL_DIAL]);
        case 'ringing':
          return go({ kind: 'dialing', ringing: true });
        case 'answered':
          return go({ kind: 'briefing', prompted: false, reprompted: false }, { type: 'brief' });
        case 'dial_failed':
          return backToCaller(event.reason, []);
        case 'hold_failed':
          return backToCaller('hold_failed', [CANCEL_DIAL]);
        case 'caller_left':
          return end('caller_hung_up', [CANCEL_DIAL]);
        case 'cancel':
          return backToCaller('cancelled', [CANCEL_DIAL]);
        case 'deadline':
          return backToCaller('no_answer', [CANCEL_DIAL]);
        default:
          return undefined;
      }
    case 'briefing':
      return briefing(phase, event);
    case 'notifying':
      switch (event.type) {
        case 'resume_failed':
          return end(phase.outcome, [HANG_UP_DESTINATION]);
        case 'notice_done':
          return end(phase.outcome, [HANG_UP_DESTINATION]);
        case 'destination_left':
          return end(phase.outcome, []);
        case 'deadline':
          return end(phase.outcome, [HANG_UP_DESTINATION]);
        default:
          return undefined;
      }
    case 'connecting':
      switch (event.type) {
        case 'resume_failed':
          return backToCaller('interrupted', [HANG_UP_DESTINATION]);
        case 'bridge_ready':
          return go({ kind: 'bridged', source: phase.source });
        case 'bridge_failed':
          return backToCaller('bridge_failed', [HANG_UP_DESTINATION]);
        case 'caller_left':
          return end('caller_hung_up', [HANG_UP_DESTINATION]);
        case 'destination_left':
          return backToCaller('destination_hung_up', []);
        case 'deadline':
          return backToCaller('timed_out', [HANG_UP_DESTINATION]);
        default:
          return undefined;
      }
    case 'bridged':
      switch (event.type) {
        case 'resume_failed':
          return end('accepted', [HANG_UP_DESTINATION, HANG_UP_CALLER], phase.source);
        case 'caller_left':
          return end('accepted', [HANG_UP_DESTINATION], phase.source);
        case 'destination_left':
          return end('accepted', [HANG_UP_CALLER], phase.source);
        case 'max_duration':
          return end('accepted', [HANG_UP_DESTINATION, HANG_UP_CALLER], phase.source);
        default:
          return undefined;
      }
    case 'ended':
      return undefined;
  }
}

/** Where a takeover picks a transfer up, from the phase its record held when its job died. */
function resumed(event: Extract<TransferEvent, { type: 'resume' }>): Transition {
  const { phase } = event;
  switch (phase.kind) {
    case 'dialing':
      return go({ kind: 'dialing', ringing: phase.ringing }, HOLD, REJOIN);
    case 'briefing':
      return go({ kind: 'briefing', prompted: false, reprompted: false }, HOLD, REJOIN, { type: 'reassure' });
    case 'connecting':
    case 'bridged':
      if (phase.kind === 'bridged' && event.bridgedByServer) return go(phase, REJOIN);
      return go({ kind: 'connecting', source: phase.source }, HOLD, REJOIN, { type: 'bridge' });
    case 'notifying':
      return go(phase, REJOIN, TELL_DESTINATION);
    default:
      // Nothing to carry on: the caller back with an apology at once, then the person (if still on the line,
      // which rejoin finds out) is told why before their line closes; notice_done hangs them up.
      return go({ kind: 'notifying', outcome: 'interrupted' }, UNHOLD, { type: 'tell_caller', outcome: 'interrupted' }, REJOIN, TELL_DESTINATION);
  }
}

function briefing(phase: Extract<TransferPhase, { kind: 'briefing' }>, event: TransferEvent): Transition | undefined {
  switch (event.type) {
    case 'resume_failed':
      return backToCaller('interrupted', [DISARM, HANG_UP_DESTINATION]);
    case 'prompted':
      return go({ ...phase, prompted: true }, ARM);
    case 'decision':
      return event.choice === 'accept'
        ? go({ kind: 'connecting', source: event.source }, DISARM, { type: 'bridge' })
        : backToCaller('rejected', [DISARM, HANG_UP_DESTINATION], event.source);
    case 'invalid_key':
      return go(phase, { type: 'reprompt', reason: 'invalid_key' });
    case 'unclear':
      return phase.prompted ? go(phase, { type: 'reprompt', reason: 'unclear' }) : undefined;
    case 'conversation':
      // Before the question there is no clock to hold; after it, talking pauses the wait and silence restarts it.
      if (!phase.prompted) return undefined;
      return go(phase, event.active ? DISARM : ARM);
    case 'decision_timeout':
      // The timer only runs once the question has been asked; a stale firing before that means nothing.
      if (!phase.prompted) return undefined;
      return phase.reprompted
        ? backToCaller('rejected', [HANG_UP_DESTINATION], 'timeout')
        : go({ ...phase, reprompted: true }, { type: 'reprompt', reason: 'timeout' }, ARM);
    case 'voicemail':
      return backToCaller('voicemail', [DISARM, HANG_UP_DESTINATION]);
    case 'destination_left':
      return backToCaller('destination_hung_up', [DISARM]);
    case 'caller_left':
      return go({ kind: 'notifying', outcome: 'caller_hung_up' }, DISARM, TELL_DESTINATION);
    case 'cancel':
      // The caller is still here and hears back first; the destination is told after, then let go.
      return go({ kind: 'notifying', outcome: 'cancelled' }, DISARM, UNHOLD, { type: 'tell_caller', outcome: 'cancelled' }, TELL_DESTINATION);
    case 'deadline':
      return backToCaller('timed_out', [DISARM, HANG_UP_DESTINATION]);
    default:
      return undefined;
  }
}
