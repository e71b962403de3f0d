import { describe, expect, it } from 'vitest';
import { transition } from '../../agent/transfer/state/phase.ts';
import type { PhaseKind, TransferEffect, TransferEvent, TransferPhase } from '../../agent/transfer/state/phase.ts';
import type { DialFailure, TransferOutcome } from '../../core/outcome.ts';

// Every phase worth telling apart, by name, so the table below reads like the state chart in phase.ts.
const PHASES = {
  idle: { kind: 'idle' },
  dialing: { kind: 'dialing', ringing: false },
  ringing: { kind: 'dialing', ringing: true },
  briefing: { kind: 'briefing', prompted: false, reprompted: false },
  prompted: { kind: 'briefing', prompted: true, reprompted: false },
  reprompted: { kind: 'briefing', prompted: true, reprompted: true },
  connecting: { kind: 'connecting', source: 'keypad' },
  bridged: { kind: 'bridged', source: 'voice' },
  notifying_hung_up: { kind: 'notifying', outcome: 'caller_hung_up' },
  notifying_cancelled: { kind: 'notifying', outcome: 'cancelled' },
  ended: { kind: 'ended', outcome: 'rejected', source: 'keypad' },
} satisfies Record<string, TransferPhase>;

// Every event type, with both decisions; a `satisfies` check below proves no event type is missing.
const EVENTS = {
  start: { type: 'start' },
  ringing: { type: 'ringing' },
  answered: { type: 'answered' },
  dial_failed: { type: 'dial_failed', reason: 'busy', sipStatus: 486 },
  hold_failed: { type: 'hold_failed', message: 'publish timed out' },
  prompted: { type: 'prompted' },
  accept: { type: 'decision', choice: 'accept', source: 'keypad' },
  reject: { type: 'decision', choice: 'reject', source: 'voice' },
  invalid_key: { type: 'invalid_key', digit: '5' },
  unclear: { type: 'unclear' },
  talking: { type: 'conversation', active: true },
  quiet: { type: 'conversation', active: false },
  decision_timeout: { type: 'decision_timeout' },
  voicemail: { type: 'voicemail' },
  destination_left: { type: 'destination_left' },
  caller_left: { type: 'caller_left' },
  cancel: { type: 'cancel' },
  bridge_ready: { type: 'bridge_ready' },
  bridge_failed: { type: 'bridge_failed', message: 'room gone' },
  notice_done: { type: 'notice_done' },
  deadline: { type: 'deadline' },
  max_duration: { type: 'max_duration' },
  // A takeover, from each phase a record can hold when its job died.
  resume_ringing: { type: 'resume', phase: { kind: 'dialing', ringing: true } },
  resume_prompted: { type: 'resume', phase: { kind: 'briefing', prompted: true, reprompted: true } },
  resume_connecting: { type: 'resume', phase: { kind: 'connecting', source: 'voice' } },
  resume_bridged: { type: 'resume', phase: { kind: 'bridged', source: 'keypad' } },
  resume_bridged_by_server: { type: 'resume', phase: { kind: 'bridged', source: 'keypad' }, bridgedByServer: true },
  resume_notifying: { type: 'resume', phase: { kind: 'notifying', outcome: 'caller_hung_up' } },
  resume_idle: { type: 'resume', phase: { kind: 'idle' } },
  resume_failed: { type: 'resume_failed', message: 'join timed out' },
} satisfies Record<string, TransferEvent>;
// These fail to compile if phase.ts gains an event type or phase kind; a test checks EVENTS and PHASES use them all.
const EVENT_TYPES: Record<TransferEvent['type'], true> = {
  start: true,
  ringing: true,
  answered: true,
  dial_failed: true,
  prompted: true,
  decision: true,
  invalid_key: true,
  unclear: true,
  decision_timeout: true,
  voicemail: true,
  destination_left: true,
  caller_left: true,
  cancel: true,
  bridge_ready: true,
  bridge_failed: true,
  notice_done: true,
  deadline: true,
  hold_failed: true,
  conversation: true,
  max_duration: true,
  resume: true,
  resume_failed: true,
};
const PHASE_KINDS: Record<PhaseKind, true> = {
  idle: true,
  dialing: true,
  briefing: true,
  connecting: true,
  bridged: true,
  notifying: true,
  ended: true,
};

type Phase = keyof typeof PHASES;
type Event = keyof typeof EVENTS;

const hold = { type: 'hold' } as const;
const unhold = { type: 'unhold' } as const;
const dial = { type: 'dial' } as const;
const cancelDial = { type: 'cancel_dial' } as const;
const arm = { type: 'arm_decision_timer' } as const;
const disarm = { type: 'disarm_decision_timer' } as const;
const hangUpDestination = { type: 'hang_up_destination' } as const;
const tellDestination = { type: 'tell_destination_caller_left' } as const;
const rejoin = { type: 'rejoin' } as const;
const finish = (outcome: TransferOutcome): TransferEffect => ({ type: 'finish', outcome });
/** The usual ending while the caller is still on the line. */
const told = (outcome: TransferOutcome): TransferEffect[] => [unhold, { type: 'tell_caller', outcome }, finish(outcome)];
const ended = (outcome: TransferOutcome): TransferPhase => ({ kind: 'ended', outcome });
const acceptedByVoice: TransferPhase = { kind: 'ended', outcome: 'accepted', source: 'voice' };
type Row = [TransferPhase, TransferEffect[]];

// Only the pairs that do something; every other (phase, event) pair must come back ignored and unchanged.
const HANDLED: Partial<Record<`${Phase} + ${Event}`, Row>> = {
  'idle + start': [PHASES.dialing, [hold, dial]],
  'idle + resume_ringing': [PHASES.ringing, [hold, rejoin]],
  // The question is asked again, so the decision wait starts afresh.
  'idle + resume_prompted': [PHASES.briefing, [hold, rejoin, { type: 'reassure' }]],
  'idle + resume_connecting': [{ kind: 'connecting', source: 'voice' }, [hold, rejoin, { type: 'bridge' }]],
  'idle + resume_bridged': [{ kind: 'connecting', source: 'keypad' }, [hold, rejoin, { type: 'bridge' }]],
  'idle + resume_bridged_by_server': [{ kind: 'bridged', source: 'keypad' }, [rejoin]],
  'idle + resume_notifying': [PHASES.notifying_hung_up, [rejoin, tellDestination]],
  // Nothing to carry on (too many failures, or nothing recorded): the caller back with an apology first, then
  // the person told why before their line is closed (notice_done from notifying hangs them up).
  'idle + resume_idle': [{ kind: 'notifying', outcome: 'interrupted' }, [unhold, { type: 'tell_caller', outcome: 'interrupted' }, rejoin, tellDestination]],
  'dialing + resume_failed': [ended('interrupted'), [cancelDial, ...told('interrupted')]],
  'ringing + resume_failed': [ended('interrupted'), [cancelDial, ...told('interrupted')]],
  ...each(['briefing', 'prompted', 'reprompted'], () => ({
    resume_failed: [ended('interrupted'), [disarm, hangUpDestination, ...told('interrupted')]],
  })),
  // Words the offline recogniser could not make out: "please press 1 or 9", once the question has been asked
  // (before it, the briefing goes on by itself).
  ...each(['prompted', 'reprompted'], (name) => ({ unclear: [PHASES[name], [{ type: 'reprompt', reason: 'unclear' }]] })),
  'notifying_hung_up + resume_failed': [ended('caller_hung_up'), [hangUpDestination, finish('caller_hung_up')]],
  'notifying_cancelled + resume_failed': [ended('cancelled'), [hangUpDestination, finish('cancelled')]],
  'connecting + resume_failed': [ended('interrupted'), [hangUpDestination, ...told('interrupted')]],
  'bridged + resume_failed': [acceptedByVoice, [hangUpDestination, { type: 'hang_up_caller' }, finish('accepted')]],
  'dialing + ringing': [PHASES.ringing, []],
  'ringing + ringing': [PHASES.ringing, []],
  ...each(['dialing', 'ringing'], () => ({
    answered: [PHASES.briefing, [{ type: 'brief' }]],
    dial_failed: [ended('busy'), told('busy')],
    hold_failed: [ended('hold_failed'), [cancelDial, ...told('hold_failed')]],
    caller_left: [ended('caller_hung_up'), [cancelDial, finish('caller_hung_up')]],
    cancel: [ended('cancelled'), [cancelDial, ...told('cancelled')]],
    deadline: [ended('no_answer'), [cancelDial, ...told('no_answer')]],
  })),
  'briefing + prompted': [PHASES.prompted, [arm]],
  'prompted + prompted': [PHASES.prompted, [arm]],
  'reprompted + prompted': [PHASES.reprompted, [arm]],
  'prompted + talking': [PHASES.prompted, [disarm]],
  'prompted + quiet': [PHASES.prompted, [arm]],
  'reprompted + talking': [PHASES.reprompted, [disarm]],
  'reprompted + quiet': [PHASES.reprompted, [arm]],
  'prompted + decision_timeout': [PHASES.reprompted, [{ type: 'reprompt', reason: 'timeout' }, arm]],
  'reprompted + decision_timeout': [{ kind: 'ended', outcome: 'rejected', source: 'timeout' }, [hangUpDestination, ...told('rejected')]],
  ...each(['briefing', 'prompted', 'reprompted'], briefingCommon),
  'notifying_hung_up + notice_done': [ended('caller_hung_up'), [hangUpDestination, finish('caller_hung_up')]],
  'notifying_hung_up + destination_left': [ended('caller_hung_up'), [finish('caller_hung_up')]],
  'notifying_hung_up + deadline': [ended('caller_hung_up'), [hangUpDestination, finish('caller_hung_up')]],
  'notifying_cancelled + notice_done': [ended('cancelled'), [hangUpDestination, finish('cancelled')]],
  'notifying_cancelled + destination_left': [ended('cancelled'), [finish('cancelled')]],
  'notifying_cancelled + deadline': [ended('cancelled'), [hangUpDestination, finish('cancelled')]],
  'connecting + bridge_ready': [{ kind: 'bridged', source: 'keypad' }, []],
  'connecting + bridge_failed': [ended('bridge_failed'), [hangUpDestination, ...told('bridge_failed')]],
  'connecting + caller_left': [ended('caller_hung_up'), [hangUpDestination, finish('caller_hung_up')]],
  'connecting + destination_left': [ended('destination_hung_up'), told('destination_hung_up')],
  'connecting + deadline': [ended('timed_out'), [hangUpDestination, ...told('timed_out')]],
  'bridged + caller_left': [acceptedByVoice, [hangUpDestination, finish('accepted')]],
  'bridged + destination_left': [acceptedByVoice, [{ type: 'hang_up_caller' }, finish('accepted')]],
  'bridged + max_duration': [acceptedByVoice, [hangUpDestination, { type: 'hang_up_caller' }, finish('accepted')]],
};

/** What every briefing phase does, whether or not the question has been asked yet. */
function briefingCommon(name: Phase): Partial<Record<Event, Row>> {
  return {
    invalid_key: [PHASES[name], [{ type: 'reprompt', reason: 'invalid_key' }]], // flags kept, decision still open
    accept: [{ kind: 'connecting', source: 'keypad' }, [disarm, { type: 'bridge' }]],
    reject: [{ kind: 'ended', outcome: 'rejected', source: 'voice' }, [disarm, hangUpDestination, ...told('rejected')]],
    voicemail: [ended('voicemail'), [disarm, hangUpDestination, ...told('voicemail')]],
    destination_left: [ended('destination_hung_up'), [disarm, ...told('destination_hung_up')]],
    caller_left: [{ kind: 'notifying', outcome: 'caller_hung_up' }, [disarm, tellDestination]],
    cancel: [{ kind: 'notifying', outcome: 'cancelled' }, [disarm, unhold, { type: 'tell_caller', outcome: 'cancelled' }, tellDestination]],
    deadline: [ended('timed_out'), [disarm, hangUpDestination, ...told('timed_out')]],
  };
}

/** Rows shared by several phases; rows where they differ stay explicit in HANDLED. */
function each(phases: Phase[], rows: (name: Phase) => Partial<Record<Event, Row>>) {
  const out: Partial<Record<`${Phase} + ${Event}`, Row>> = {};
  for (const name of phases) {
    for (const [event, row] of Object.entries(rows(name)) as [Event, Row][]) out[`${name} + ${event}`] = row;
  }
  return out;
}

const PAIRS = (Object.keys(PHASES) as Phase[]).flatMap((phase) => (Object.keys(EVENTS) as Event[]).map((event) => [phase, event] as const));

describe('transition', () => {
  it.each(PAIRS)('%s + %s', (phase, event) => {
    const from: TransferPhase = PHASES[phase];
    const result = transition(from, EVENTS[event]);
    const expected = HANDLED[`${phase} + ${event}`];
    if (expected === undefined) {
      expect(result).toEqual({ phase: from, effects: [], ignored: true });
      expect(result.phase).toBe(from); // ignored means untouched, not a look-alike copy
    } else {
      expect(result).toStrictEqual({ phase: expected[0], effects: expected[1], ignored: false });
    }
  });

  it('has no table rows for pairs that do not exist', () => {
    const real = new Set(PAIRS.map(([phase, event]) => `${phase} + ${event}`));
    expect(Object.keys(HANDLED).filter((key) => !real.has(key))).toEqual([]);
  });

  const failures: DialFailure[] = ['busy', 'declined', 'no_answer', 'dial_failed'];
  it.each(failures)('a %s dial ends with that outcome', (reason) => {
    const { phase, effects } = transition(PHASES.ringing, { type: 'dial_failed', reason });
    expect(phase).toEqual({ kind: 'ended', outcome: reason });
    expect(effects).toEqual([unhold, { type: 'tell_caller', outcome: reason }, { type: 'finish', outcome: reason }]);
  });

  it('lets the first decision win: a reject after an accept is ignored', () => {
    const accepted = transition(PHASES.prompted, EVENTS.accept).phase;
    const second = transition(accepted, EVENTS.reject);
    expect(second).toEqual({ phase: accepted, effects: [], ignored: true });
  });

  it('ends every path into ended with exactly one finish, declared last', () => {
    for (const [phase, event] of PAIRS) {
      const { phase: to, effects } = transition(PHASES[phase], EVENTS[event]);
      if (to.kind !== 'ended' || PHASES[phase].kind === 'ended') continue;
      expect(effects.filter((effect) => effect.type === 'finish')).toHaveLength(1);
      expect(effects.at(-1)).toEqual({ type: 'finish', outcome: to.outcome });
    }
  });

  it('covers every event type and phase kind', () => {
    expect(new Set(Object.values(EVENTS).map((e) => e.type))).toEqual(new Set(Object.keys(EVENT_TYPES)));
    expect(new Set(Object.values(PHASES).map((p) => p.kind))).toEqual(new Set(Object.keys(PHASE_KINDS)));
  });
});
