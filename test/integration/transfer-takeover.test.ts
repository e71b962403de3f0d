// Takeover on the real stack: the job process carrying a warm transfer is killed (SIGKILL, as an OOM or a
// crash would) while the destination rings, while it is briefed, and once the call is bridged; and a whole
// worker is killed while a second one runs. At the phones, every time: the caller hears the music (or the
// other party) again within 5 s, the person being briefed is spoken to again within 5 s, the transfer
// still ends where it should, and nothing is left behind once the call is over.
//
// Every case is one script: place the call, bring it to a moment (`reach`), kill the job or the worker that
// carries the transfer, then check what the phones hear and the timeline says (`after`, in order). The
// cases are rows of a table; the steps are the functions below, shared by the rows.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { TransferRecord } from '../../agent/transfer/record/store.ts';
import type { CalleeOptions } from '../../phones/index.ts';
import { eventually } from '../support/rooms.ts';
import {
  BACK_WITHIN_MS,
  killJob,
  ownerOf,
  reportGap,
  startTakeoverWorker,
  takeoverRecords,
  toneBack,
  type TakeoverCast,
  type TakeoverRecords,
} from '../support/takeover.ts';
import {
  at,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  placeTransferCall,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
} from '../support/transfer-call.ts';

const stack = inject('stack');

let records: TakeoverRecords;
let call: TransferCall | undefined;
const casts: TakeoverCast[] = [];

beforeAll(() => {
  records = takeoverRecords(stack);
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(() => records.close());

async function worker(name: string, healthPort: number, env: Record<string, string> = {}): Promise<TakeoverCast> {
  const cast = await startTakeoverWorker(stack, name, healthPort, { WORKER_IDLE_PROCESSES: '2', ...env });
  casts.push(cast);
  return cast;
}

/** One case's call, as its steps see it. */
interface Run {
  call: TransferCall;
  /** The workers running: one for a job kill, two for a worker kill. */
  casts: TakeoverCast[];
  /** What is killed, and when, as the gap report names it ("job killed while ringing"). */
  killed: string;
  started: number;
  killedAt: number;
  /** The worker that carries the transfer on after the kill (for a job kill, the same one). */
  carrier: TakeoverCast;
  /** When the person was first asked, for cases killed while the question waits. */
  prompted?: number;
  /** When the caller heard music or the other party again, for bridged cases. */
  back?: number;
}

type Step = (run: Run) => Promise<void>;

interface TakeoverCase {
  name: string;
  /** The call's name, for its phones' logs; and the destination phone's options. */
  call: string;
  callee?: CalleeOptions;
  /** Brings the call to the moment of the kill, and returns the record whose owner is killed then. */
  reach: (run: Run) => Promise<TransferRecord>;
  /** When the kill happens, for the gap report ("while ringing"). */
  when: string;
  after: Step[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- Bringing the call to the moment of the kill ---

/** The destination rings (the dial is in the record), a second after the caller heard the music start. */
async function ringing(run: Run): Promise<TransferRecord> {
  await timelineEntry(run.carrier.worker, 'dialing', 60_000, run.started);
  await run.call.caller.waitForAudio({ minRms: 300, withinMs: 10_000, after: at(await timelineEntry(run.carrier.worker, 'hold_started', 1000, run.started)) });
  const record = await records.open((r) => r.phase.kind === 'dialing');
  await sleep(1000);
  return record;
}

/** The person is being briefed: they answered and hear the briefing. */
async function briefed(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  const briefing = at(await timelineEntry(run.carrier.worker, 'briefing_started', 20_000, run.started));
  await run.call.callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: briefing });
  return records.open((r) => r.phase.kind === 'briefing');
}

/** The briefing has just started (the person answered). */
async function briefingStarted(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  await timelineEntry(run.carrier.worker, 'briefing_started', 20_000, run.started);
  return records.open((r) => r.phase.kind === 'briefing');
}

/** The person pressed 1 and the caller hears them. */
async function bridged(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  await timelineEntry(run.carrier.worker, 'prompted', 30_000, run.started);
  await run.call.callee.press('1');
  const bridgedAt = at(await timelineEntry(run.carrier.worker, 'bridged', 15_000, run.started));
  await toneBack(run.call.caller, DESTINATION_TONE_HZ, bridgedAt - 600);
  return records.open((r) => r.phase.kind === 'bridged');
}

/** The hold has started and the dial is under way, before the destination rings. */
async function holdStarted(run: Run): Promise<TransferRecord> {
  await timelineEntry(run.carrier.worker, 'hold_started', 60_000, run.started);
  return records.open((r) => r.phase.kind === 'dialing');
}

/** The question was asked a moment ago, and waits for its answer. */
async function questionWaiting(run: Run): Promise<TransferRecord> {
  run.prompted = at(await timelineEntry(run.carrier.worker, 'prompted', 60_000, run.started));
  await sleep(1500);
  return records.open((r) => r.phase.kind === 'briefing');
}

// With two workers, which one carries the call is known only from its record.

/** Two workers: the dial is under way. */
async function dialingEither(): Promise<TransferRecord> {
  return records.open((r) => r.phase.kind === 'dialing', 60_000);
}

/** Two workers: the destination rings. */
async function ringingEither(): Promise<TransferRecord> {
  const record = await records.open((r) => r.phase.kind === 'dialing' && r.phase.ringing === true, 60_000);
  await sleep(500);
  return record;
}

/** Two workers: the person is being briefed and hears it. */
async function briefedEither(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  const record = await records.open((r) => r.phase.kind === 'briefing');
  await run.call.callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: Date.now() });
  return record;
}

const askedByEither = (run: Run) =>
  eventually(() => run.casts.some((c) => timelineEntries(c.worker, 'prompted', run.started).length > 0), 30_000, 'the question');

/** Two workers: the question was asked a moment ago. */
async function questionWaitingEither(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  await askedByEither(run);
  const record = await records.open((r) => r.phase.kind === 'briefing');
  run.prompted = at(timelineEntries(ownerOf(record, run.casts).worker, 'prompted', run.started)[0]!);
  await sleep(1500);
  return record;
}

/** Two workers: the person pressed 1 and the caller hears them. */
/** Two workers: bridged, and the call handed by its job to that worker's keeper. */
async function keptEither(run: Run): Promise<TransferRecord> {
  await run.call.callee.waitAnswered(60_000);
  await askedByEither(run);
  await run.call.callee.press('1');
  const record = await records.open((r) => r.phase.kind === 'bridged' && r.owner.startsWith('keeper:'));
  // The keeper takes a moment: by then the caller may have heard the destination for a while, so the tone is
  // waited for as it is now, not as it comes back after the music (toneBack would wait for a gap first).
  const caller = run.call.caller;
  await eventually(() => caller.received.toneRatio(DESTINATION_TONE_HZ, Date.now() - 1000, Date.now()) > 0.5, 15_000, 'the destination at the caller');
  return record;
}

// --- What the phones hear and the timeline says after the kill ---

/** The caller hears the music again within 5 s. */
const musicBack =
  (report = ''): Step =>
  async (run) => {
    const back = await toneBack(run.call.caller, HOLD_TONE_HZ, run.killedAt);
    expect(back - run.killedAt).toBeLessThan(BACK_WITHIN_MS);
    reportGap(`${run.killed}${report}`, back - run.killedAt);
  };

/** The person is spoken to again within 5 s (and, when the question was waiting, after it was first asked). */
const personSpokenTo =
  (options: { report?: boolean } = {}): Step =>
  async (run) => {
    const spoken = await run.call.callee.waitForAudio({ minRms: 300, withinMs: 10_000, after: run.killedAt + 500 });
    expect(spoken - run.killedAt).toBeLessThan(BACK_WITHIN_MS);
    if (run.prompted !== undefined) expect(spoken).toBeGreaterThan(run.prompted);
    if (options.report) reportGap(`${run.killed} (person spoken to)`, spoken - run.killedAt);
  };

/** Bridged: music or the other party within 5 s, and the other party, through the rebuilt relay, soon after. */
const heardAgainOnceBridged: Step = async (run) => {
  const back = await toneBack(run.call.caller, DESTINATION_TONE_HZ, run.killedAt, 15_000, HOLD_TONE_HZ);
  expect(back - run.killedAt).toBeLessThan(BACK_WITHIN_MS);
  const other = await toneBack(run.call.caller, DESTINATION_TONE_HZ, run.killedAt);
  expect(other - run.killedAt).toBeLessThan(2 * BACK_WITHIN_MS);
  reportGap(`${run.killed} (music or the other party)`, back - run.killedAt);
  reportGap(`${run.killed} (the other party)`, other - run.killedAt);
  run.back = back;
};

/** The surviving worker's keeper carries the call on from the record, without a job. */
const keptAfterTakeover: Step = async (run) => {
  expect(await timelineEntry(run.carrier.worker, 'kept', 10_000, run.killedAt)).toMatchObject({ carrier: 'forwarder', from: 'takeover' });
  expect(timelineEntries(run.carrier.worker, 'resumed', run.killedAt)).toEqual([]);
};

/** The caller's voice reaches the destination again too (their phone speaks every few seconds). */
const destinationHearsCaller: Step = async (run) => {
  await run.call.callee.waitForAudio({ minRms: 300, withinMs: 12_000, after: run.back! });
};

/** The carrier's timeline says the transfer was resumed in `phase` (the `resumes`-th time). */
const resumed =
  (phase: string, options: { resumes?: number; ms?: number; gap?: boolean } = {}): Step =>
  async (run) => {
    const entry = await timelineEntry(run.carrier.worker, 'resumed', options.ms ?? 10_000, run.killedAt);
    expect(entry).toMatchObject({ phase, ...(options.resumes === undefined ? {} : { resumes: options.resumes }) });
    if (options.gap) expect(Number(entry.gapMs)).toBeGreaterThan(0);
  };

/** The person is asked again, with "sorry, I lost you" said on its own before the question. */
const askedAgainWithApology: Step = async (run) => {
  expect(await timelineEntry(run.carrier.worker, 'prompted', 15_000, run.killedAt)).toMatchObject({ resumed: true, apologisedFirst: true });
};

/** The destination answers (within `ms`) and is asked (counted from the kill, or from the call's start). */
const answeredAndAsked =
  (ms: number, since: 'kill' | 'start' = 'kill'): Step =>
  async (run) => {
    await run.call.callee.waitAnswered(ms);
    await timelineEntry(run.carrier.worker, 'prompted', 30_000, since === 'kill' ? run.killedAt : run.started);
  };

/** The same leg: it was never dialled again, so the phone saw one INVITE and answers it. */
const notRedialled: Step = async (run) => {
  expect(timelineEntries(run.carrier.worker, 'redialing', run.killedAt)).toEqual([]);
};

/** The person presses 1 and the caller hears them. */
const oneBridges: Step = async (run) => {
  await run.call.callee.press('1');
  const bridgedAt = at(await timelineEntry(run.carrier.worker, 'bridged', 15_000, run.killedAt));
  const heard = await toneBack(run.call.caller, DESTINATION_TONE_HZ, bridgedAt - 600);
  expect(heard).toBeGreaterThan(bridgedAt - 600);
};

/** The person presses 9: the transfer ends as rejected. */
const nineRejects: Step = async (run) => {
  await run.call.callee.press('9');
  expect(await timelineEntry(run.carrier.worker, 'ended', 15_000, run.killedAt)).toMatchObject({ outcome: 'rejected' });
};

/** Back with the agent: speech that is not the music. */
const callerBackWithAgent: Step = async (run) => {
  await waitForSpeech(run.call.caller, run.killedAt + 1000, 15_000);
};

const callerHangsUp: Step = (run) => run.call.caller.hangup();
const destinationHangsUp: Step = (run) => run.call.callee.hangup();

/** The other side's line is closed by the stack (`remote`), within `ms`. */
const hungUpOn =
  (phone: 'caller' | 'callee', ms = 15_000): Step =>
  async (run) => {
    expect((await run.call[phone].waitEnded(ms)).hungUpBy).toBe('remote');
  };

/** The `ended` entry (which follows a hang-up by a moment) says the call was accepted. */
const endedAccepted: Step = async (run) => {
  await eventually(() => timelineEntries(run.carrier.worker, 'ended', run.killedAt).some((e) => e.outcome === 'accepted'), 15_000, 'ended: accepted');
};

const endedAs =
  (outcome: string): Step =>
  async (run) => {
    expect(await timelineEntry(run.carrier.worker, 'ended', 15_000, run.killedAt)).toMatchObject({ outcome });
  };

const nothingLeftBehind: Step = (run) => records.nothingLeftBehind(run.call.from);

/** The caller has hung up: the notice reaches the person ("The caller has hung up ..."), then their line is closed. */
const personToldCallerLeft: Step = async (run) => {
  await run.call.callee.waitForAudio({ minRms: 300, withinMs: 15_000, after: run.killedAt + 500 });
};

/** The destination has hung up: the caller hears the agent again within 10 s. */
const callerToldDestinationLeft: Step = async (run) => {
  const spoken = await waitForSpeech(run.call.caller, run.killedAt + 500, 15_000);
  expect(spoken - run.killedAt).toBeLessThan(10_000);
};

/** Each job that carries it on is killed too, until the transfer has been carried on `times` times. */
const killedAgainAndAgain =
  (times: number): Step =>
  async (run) => {
    for (let resumes = 1; resumes <= times; resumes++) {
      await eventually(() => timelineEntries(run.carrier.worker, 'resumed', run.killedAt).some((e) => e.resumes === resumes), 15_000, `resume ${resumes}`);
      const record = await records.open((r) => r.resumes === resumes && !r.owner.startsWith('watcher:'));
      await sleep(500);
      run.killedAt = killJob(record);
    }
  };

/** Given up: the caller is back with an apology; the person hears why, and only then is their line closed. */
const givenUp: Step = async (run) => {
  await waitForSpeech(run.call.caller, run.killedAt + 500, 15_000);
  const notice = await run.call.callee.waitForAudio({ minRms: 300, withinMs: 15_000, after: run.killedAt + 500 });
  const end = await run.call.callee.waitEnded(25_000);
  expect(end.hungUpBy).toBe('remote');
  expect(end.at).toBeGreaterThan(notice + 1000);
  expect(await timelineEntry(run.carrier.worker, 'ended', 20_000, run.killedAt)).toMatchObject({ outcome: 'interrupted' });
  expect(run.carrier.worker.log()).toContain('"mode":"end"');
};

// --- The cases ---

const JOB_KILLED: TakeoverCase[] = [
  {
    name: 'while the destination rings: the caller hears music again within 5 s, and the answer is briefed and bridged',
    call: 'takeover-ringing',
    callee: { ringMs: 9000 },
    reach: ringing,
    when: 'while ringing',
    // The destination answers the leg the dead job dialled; the new job briefs them and the accept bridges.
    after: [
      musicBack(),
      resumed('dialing', { resumes: 1, gap: true }),
      answeredAndAsked(20_000),
      oneBridges,
      callerHangsUp,
      hungUpOn('callee'),
      endedAccepted,
      nothingLeftBehind,
    ],
  },
  {
    name: 'during the briefing: the person hears "sorry, I lost you" within 5 s, the caller hears music, and 1 still bridges',
    call: 'takeover-briefing',
    reach: briefed,
    when: 'during the briefing',
    after: [
      musicBack(),
      askedAgainWithApology,
      personSpokenTo(),
      resumed('briefing', { resumes: 1, ms: 1000 }),
      oneBridges,
      callerHangsUp,
      hungUpOn('callee'),
      nothingLeftBehind,
    ],
  },
  {
    name: 'once bridged: the relay is rebuilt and caller and destination hear each other again within 5 s',
    call: 'takeover-bridged',
    reach: bridged,
    when: 'once bridged',
    // The new job holds the caller while it rebuilds: music or the other party within 5 s, then the other party.
    after: [heardAgainOnceBridged, resumed('bridged', { resumes: 1 }), destinationHearsCaller, destinationHangsUp, hungUpOn('caller'), nothingLeftBehind],
  },
];

const JOB_KILLED_CALL_MOVES_ON: TakeoverCase[] = [
  {
    name: 'at hold start, before the destination rings: music again within 5 s, and the destination is still reached',
    call: 'takeover-hold',
    callee: { ringMs: 3000 },
    reach: holdStarted,
    when: 'at hold start',
    after: [musicBack(), resumed('dialing'), answeredAndAsked(30_000), oneBridges, callerHangsUp, nothingLeftBehind],
  },
  {
    name: 'while waiting for the decision: the question is asked again within 5 s, and 9 takes the caller back',
    call: 'takeover-decision',
    reach: questionWaiting,
    when: 'waiting for the decision',
    after: [personSpokenTo({ report: true }), askedAgainWithApology, nineRejects, callerBackWithAgent, hungUpOn('callee')],
  },
  {
    name: 'and the caller hangs up meanwhile: the person being briefed is told, then let go',
    call: 'takeover-caller-left',
    reach: briefingStarted,
    when: 'during the briefing',
    after: [callerHangsUp, personToldCallerLeft, hungUpOn('callee', 30_000), endedAs('caller_hung_up'), nothingLeftBehind],
  },
  {
    name: 'and the destination hangs up meanwhile: the caller is back with the agent and told',
    call: 'takeover-destination-left',
    reach: briefingStarted,
    when: 'during the briefing',
    after: [destinationHangsUp, endedAs('destination_hung_up'), callerToldDestinationLeft],
  },
  {
    name: `killed again and again: carried on ${2} times, then the caller is taken back with an apology and the destination told and let go`,
    call: 'takeover-thrice',
    reach: briefingStarted,
    when: 'during the briefing',
    after: [killedAgainAndAgain(2), givenUp],
  },
];

const WORKER_KILLED: TakeoverCase[] = [
  {
    name: 'at hold start, before the destination rings: the second worker puts the music back and the destination is still reached',
    call: 'takeover-worker-hold',
    callee: { ringMs: 6000 },
    reach: dialingEither,
    when: 'at hold start',
    after: [
      musicBack(),
      resumed('dialing', { resumes: 1 }),
      answeredAndAsked(30_000, 'start'),
      oneBridges,
      callerHangsUp,
      hungUpOn('callee'),
      nothingLeftBehind,
    ],
  },
  {
    name: 'while the destination rings: the second worker keeps the ringing leg, and the answer is briefed and bridged',
    call: 'takeover-worker-ringing',
    callee: { ringMs: 12_000 },
    reach: ringingEither,
    when: 'while ringing',
    after: [
      musicBack(),
      resumed('dialing', { resumes: 1 }),
      notRedialled,
      answeredAndAsked(20_000),
      oneBridges,
      callerHangsUp,
      hungUpOn('callee'),
      nothingLeftBehind,
    ],
  },
  {
    name: "during the briefing: the second worker takes the transfer over when the first one's lease runs out",
    call: 'takeover-worker',
    reach: briefedEither,
    when: 'during the briefing',
    after: [
      musicBack(),
      personSpokenTo(),
      resumed('briefing', { resumes: 1 }),
      askedAgainWithApology,
      oneBridges,
      callerHangsUp,
      hungUpOn('callee'),
      nothingLeftBehind,
    ],
  },
  {
    name: 'while waiting for the decision: the second worker asks again within 5 s, and 9 takes the caller back',
    call: 'takeover-worker-decision',
    reach: questionWaitingEither,
    when: 'waiting for the decision',
    after: [
      musicBack(' (music)'),
      personSpokenTo({ report: true }),
      resumed('briefing', { resumes: 1 }),
      askedAgainWithApology,
      nineRejects,
      hungUpOn('callee'),
      callerBackWithAgent,
      callerHangsUp,
      nothingLeftBehind,
    ],
  },
  {
    name: "once bridged and kept: the surviving worker's keeper bridges again and the two parties hear each other again",
    call: 'takeover-worker-bridged',
    reach: keptEither,
    when: 'once bridged and kept',
    after: [heardAgainOnceBridged, keptAfterTakeover, destinationHearsCaller, callerHangsUp, hungUpOn('callee'), nothingLeftBehind],
  },
];

/** Places the case's call, brings it to its moment, kills what carries it, and runs its checks in order. */
async function runCase(c: TakeoverCase, kill: 'job' | 'worker', running: TakeoverCast[]): Promise<void> {
  call = await placeTransferCall(stack, c.call, c.callee ?? {});
  const run: Run = { call, casts: running, killed: `${kill} killed ${c.when}`, started: Date.now(), killedAt: 0, carrier: running[0]! };
  const record = await c.reach(run);
  if (kill === 'job') {
    run.killedAt = killJob(record);
  } else {
    const owner = ownerOf(record, running);
    run.carrier = running.find((cast) => cast !== owner)!;
    run.killedAt = Date.now();
    await owner.worker.kill();
  }
  for (const step of c.after) await step(run);
}

/** Each describe has its workers to itself: a call must not land on the previous describe's worker. */
function closeWorkers() {
  afterAll(async () => {
    await Promise.all(casts.splice(0).map((cast) => cast.close()));
  });
}

describe('the job process carrying the transfer is killed', { timeout: 180_000 }, () => {
  let cast: TakeoverCast;
  beforeAll(async () => {
    // The job keeps its bridged call (the relay), as it does when its worker's keeper cannot carry it: killing
    // it once bridged is the relay's takeover. (A kept call's job has ended by then: keeper-bridged.test.ts.)
    cast = await worker('takeover-job', 8091, { BRIDGE_CARRIER: 'relay' });
  });
  closeWorkers();

  for (const c of JOB_KILLED) it(c.name, () => runCase(c, 'job', [cast]));
});

describe('the job process is killed, and the call moves on while nobody attends it', { timeout: 180_000 }, () => {
  let cast: TakeoverCast;
  beforeAll(async () => {
    cast = await worker('takeover-more', 8094);
  });
  closeWorkers();

  for (const c of JOB_KILLED_CALL_MOVES_ON) it(c.name, () => runCase(c, 'job', [cast]));
});

describe('a whole worker is killed while a second one runs', { timeout: 180_000 }, () => {
  let both: TakeoverCast[] = [];
  // One of the two is killed in every case: each case starts both afresh.
  beforeEach(async () => {
    both = await Promise.all([worker('takeover-first', 8092), worker('takeover-second', 8093)]);
  });
  afterEach(async () => {
    await call?.close();
    call = undefined;
    await Promise.all(casts.splice(0).map((cast) => cast.close()));
  });

  for (const c of WORKER_KILLED) it(c.name, () => runCase(c, 'worker', both));
});
