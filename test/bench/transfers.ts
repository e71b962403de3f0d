// Concurrent whole transfers: N callers at once each press their own key for a screened transfer (no model:
// the keypad rule briefs from what it knows), hold with music, their destination (its own SIPp phone, dialled
// by SIP address) is briefed and presses 1, and the two talk for BENCH_TALK_S through the self-hosted bridge.
// Measured at the phones: each step, both directions heard, late and missing frames while they talk, and the
// delay of tone bursts from the destination to the caller; the worker's CPU and memory from /proc.
import { startCallee, startCaller, type Phone } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';
import { HOLD_TONE_HZ, holdToneWav, settingsFile } from '../support/transfer-call.ts';
import { waitSettled } from './calls.ts';
import { burstDelay, burstFile, hears, hearsTone } from './listen.ts';
import { watchGroup, type GroupUsage } from './proc.ts';
import { awaitLoopDelays, distribution, frameStats, sleep, within, type Distribution, type FrameStats, type LoopDelay } from './stats.ts';

export const CALLER_TONE_HZ = 700;
export const DESTINATION_BURST_HZ = 1000;
const MAX_KEYS = 8;
const destinationPort = (key: number) => 5100 + key;

export interface TransferRun {
  key: number;
  ok: boolean;
  failedAt?: string;
  greetingMs?: number;
  /** Dialled → 486 Busy Here, for a call no worker took (the worker was full). */
  refusedMs?: number;
  /** Key press → caller hears hold music (after the "please hold" sentence). */
  holdMs?: number;
  briefingMs?: number;
  /** Destination's keypad 1 → destination hears the caller. */
  keypadToDestinationHearsCallerMs?: number;
  bridgeDelayMs?: number | null;
  framesAtCaller?: FrameStats;
  framesAtDestination?: FrameStats;
}

export interface TransfersRow {
  concurrent: number;
  /** WORKER_MAX_CALLS of the worker, when the row measures the worker at its limit rather than the machine. */
  maxCalls?: number;
  succeeded: number;
  /** Calls answered 486 Busy Here (no worker took them), and after how long. */
  refusedBusy?: number;
  refusedMs?: Distribution;
  runs: TransferRun[];
  greetingMs: Distribution;
  briefingMs: Distribution;
  bridgeDelayMs: Distribution;
  /** Share of 20 ms frames late (> 40 ms after the previous) or missing at both phones while they talked. */
  lateFraction: number;
  missingFraction: number;
  usage: GroupUsage;
  /** CPU (share of one core) of the worker while all N talked, per bridged call. */
  talkCoresPerCall: number;
  idleRssMb: number;
  /** The job processes' event-loop delay (each transfer's job logs it at its end). */
  loopDelay: LoopDelay;
  /** Takeovers the worker's watcher started during the row (a live job taken for dead would show here). */
  takeovers: number;
}

/** The worker for the transfers: keypad keys 1-8 each a screened transfer to its own SIP phone. */
export async function transfersWorker(stack: StackInfo, idleProcesses: number, env: Record<string, string> = {}): Promise<RunningWorker> {
  const keypad = Object.fromEntries(
    Array.from({ length: MAX_KEYS }, (_, i) => [
      String(i + 1),
      {
        destination: `sip:desk${i + 1}@127.0.0.1:${destinationPort(i + 1)}`,
        label: `desk ${i + 1}`,
        warm: true,
      },
    ]),
  );
  const file = settingsFile(stack, {
    warmTransfer: { enabled: false, holdMusic: holdToneWav(), ringingTimeoutSeconds: 15, decisionTimeoutSeconds: 20 },
    keypad,
  });
  return startWorker(stack, 'bench-transfers', {
    TTS_PROVIDER: 'espeak',
    AGENT_SETTINGS: file.path,
    AGENT_GREETING: 'Hello. Press a key.',
    TRANSFER_TOPOLOGY: 'bridge',
    WORKER_IDLE_PROCESSES: String(idleProcesses),
    WORKER_MAX_TRANSFERS: '16',
    ...env,
  });
}

async function oneTransfer(key: number, talkMs: number, onTalk: () => Promise<void>): Promise<TransferRun> {
  const destination = await startCallee({
    port: destinationPort(key),
    ringMs: 300,
    audio: { file: burstFile(DESTINATION_BURST_HZ) },
    name: `bench-desk${key}`,
  });
  let caller: Phone | undefined;
  const run: TransferRun = { key, ok: false };
  const fail = (step: string) => {
    run.failedAt = step;
    return run;
  };
  try {
    const dialled = Date.now();
    caller = await startCaller({ to: AGENT_NUMBER, from: callerNumber(), audio: { tone: CALLER_TONE_HZ }, name: `bench-caller${key}` });
    const answered = await within(30_000, () => caller!.waitAnswered(30_000));
    if (!answered) {
      const end = await within(1000, () => caller!.ended);
      if (end?.status !== 486) return fail('answer');
      run.refusedMs = end.at - dialled;
      return fail('refused busy');
    }
    const greeted = await hears(caller, answered.at, 20_000);
    if (greeted === undefined) return fail('greeting');
    run.greetingMs = greeted - answered.at;
    const pressed = Date.now();
    await caller.press(String(key));
    const held = await hearsTone(caller, HOLD_TONE_HZ, pressed, 20_000);
    if (held === undefined) return fail('hold');
    run.holdMs = held - pressed;
    const picked = await within(30_000, () => destination.waitAnswered(30_000));
    if (!picked) return fail('dial');
    const confirmed = await within(5000, () => destination.waitForEvent('confirmed', 5000));
    const briefed = await hears(destination, picked.at, 15_000);
    if (briefed === undefined) return fail('briefing');
    run.briefingMs = briefed - picked.at;
    await sleep(500);
    const accepted = Date.now();
    await destination.press('1');
    const reverse = await hearsTone(destination, CALLER_TONE_HZ, accepted, 15_000);
    const forward = await hearsTone(caller, DESTINATION_BURST_HZ, accepted, 15_000);
    if (reverse === undefined || forward === undefined) return fail('bridge');
    run.keypadToDestinationHearsCallerMs = reverse - accepted;
    await onTalk();
    const talkFrom = Date.now();
    await sleep(talkMs);
    const talkTo = Date.now();
    run.framesAtCaller = frameStats(caller.received.chunks, talkFrom, talkTo);
    run.framesAtDestination = frameStats(destination.received.chunks, talkFrom, talkTo);
    run.bridgeDelayMs = confirmed ? burstDelay(caller, DESTINATION_BURST_HZ, confirmed.at, talkFrom, talkTo).medianMs : null;
    // Still connected at the end of the talk: the caller heard the destination in its last second.
    const stillThere = caller.received.toneRatio(DESTINATION_BURST_HZ, talkTo - 1000, talkTo) > 0.3;
    run.ok = stillThere && run.framesAtCaller.expected > 0;
    if (!run.ok) run.failedAt = 'talk';
    return run;
  } catch (error) {
    return fail(`error: ${String(error).slice(0, 200)}`);
  } finally {
    await caller?.hangup().catch(() => undefined);
    await destination.waitForEvent(['bye-received', 'exit'], 8000).catch(() => destination.hangup().catch(() => undefined));
    await Promise.all([caller?.close(), destination.close()]);
  }
}

export async function concurrentTransfers(worker: RunningWorker, n: number, talkMs: number, idleProcesses: number, maxCalls?: number): Promise<TransfersRow> {
  await waitSettled(worker, idleProcesses, 60_000);
  const idle = watchGroup(worker.pid);
  await sleep(1000);
  const idleRssMb = idle.stop().peakRssMb;
  const watch = watchGroup(worker.pid);
  const logBefore = worker.log().length;
  // The talk is measured while every call that got that far is bridged: each waits (20 s at most, in case
  // one failed before) for the others.
  let talking = 0;
  let talkWatch: ReturnType<typeof watchGroup> | undefined;
  let release!: () => void;
  const allTalking = new Promise<void>((r) => (release = r));
  // A call that ended before the talk (refused, or failed) is not waited for.
  let over = 0;
  const onTalk = async () => {
    talking += 1;
    if (talking + over === n) release();
    await Promise.race([allTalking, sleep(20_000)]);
    talkWatch ??= watchGroup(worker.pid);
  };
  const runs = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const run = await oneTransfer(i + 1, talkMs, onTalk);
      if (run.framesAtCaller === undefined && ++over + talking === n) release();
      return run;
    }),
  );
  const talk = talkWatch?.stop();
  const usage = watch.stop();
  const loopDelay = await awaitLoopDelays(() => worker.log(), logBefore, runs.filter((r) => r.greetingMs !== undefined).length);
  const takeovers = worker
    .log()
    .slice(logBefore)
    .split('\n')
    .filter((l) => l.includes('"event":"takeover"')).length;
  const ok = runs.filter((r) => r.ok);
  const frames = ok.flatMap((r) => [r.framesAtCaller!, r.framesAtDestination!]);
  const expectedFrames = frames.reduce((a, f) => a + f.expected, 0);
  const refused = runs.filter((r) => r.refusedMs !== undefined);
  return {
    concurrent: n,
    ...(maxCalls !== undefined ? { maxCalls } : {}),
    succeeded: ok.length,
    refusedBusy: refused.length,
    refusedMs: distribution(refused.map((r) => r.refusedMs!)),
    runs,
    greetingMs: distribution(runs.map((r) => r.greetingMs ?? Number.NaN)),
    briefingMs: distribution(runs.map((r) => r.briefingMs ?? Number.NaN)),
    bridgeDelayMs: distribution(ok.map((r) => r.bridgeDelayMs ?? Number.NaN)),
    lateFraction: expectedFrames ? frames.reduce((a, f) => a + f.late, 0) / expectedFrames : Number.NaN,
    missingFraction: expectedFrames ? frames.reduce((a, f) => a + f.missing, 0) / expectedFrames : Number.NaN,
    usage,
    talkCoresPerCall: talk ? talk.cores / Math.max(1, ok.length) : Number.NaN,
    idleRssMb,
    loopDelay,
    takeovers,
  };
}
