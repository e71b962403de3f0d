// Latency of single transfers, one after another, through the model's warm_transfer (scripted model on
// loopback, espeak-ng voice, self-hosted bridge). At the phones:
//   hold       tool called (the worker's `started`) → caller hears hold music
//   briefing   destination answers → destination hears the briefing agent
//   keypad     destination presses 1 → caller hears the destination, and → destination hears the caller
//   spoken     the decision (the worker's `decision`, from "send them through") → caller hears the destination
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { decodeAlaw, makeAlawFile, rms, startCallee, startCaller, type AudioSpec, type Phone } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import type { RunningWorker } from '../../stack/worker-process.ts';
import { AGENT_KIND, AGENT_NUMBER, callerNumber, roomService } from '../support/calls.ts';
import { allOf, hasToolResult, lastUserMessageIncludes, toolsInclude } from '../support/fake-openai/index.ts';
import { eventually } from '../support/rooms.ts';
import {
  CALLER_REQUEST,
  DESTINATION_TONE_HZ,
  HOLD_TONE_HZ,
  PSTN_PORT,
  at,
  scriptedModel,
  startTransferWorker,
  timelineEntry,
  type TransferCast,
} from '../support/transfer-call.ts';
import { firstWindow, hears, hearsTone, requestThenTone } from './listen.ts';
import { distribution, sleep, within, type Distribution } from './stats.ts';
import { CALLER_TONE_HZ } from './transfers.ts';

export interface LatencyRun {
  ok: boolean;
  failedAt?: string;
  holdMs?: number;
  briefingMs?: number;
  keypadCallerHearsMs?: number;
  keypadDestinationHearsMs?: number;
  /** Keypad 1 → the worker's `bridged` entry (worker side, for where the time goes). */
  keypadBridgedMs?: number;
  spokenCallerHearsMs?: number;
  /** Destination answered → the spoken decision (the utterance, end of speech, transcription, the model's turn). */
  answerToSpokenDecisionMs?: number;
  /** The person starts talking over the briefing → the destination's phone hears the agent stop. */
  onsetToSilentMs?: number;
  /** Of which: the person starts talking → the worker's `barged_in` (their audio to the worker, and its VAD). */
  onsetToBargedInMs?: number;
  /** The end of the person's "yes, put them through" → the caller hears them (endpointing included). */
  speechEndToCallerHearsMs?: number;
  /** Destination answered → the worker's `bridged`, with the person speaking BARGE_LEAD_S after the answer. */
  answerToBridgedMs?: number;
}

export interface LatencySummary {
  runs: number;
  succeeded: number;
  holdMs: Distribution;
  briefingMs: Distribution;
  keypadCallerHearsMs: Distribution;
  keypadDestinationHearsMs: Distribution;
  keypadBridgedMs: Distribution;
  spokenCallerHearsMs: Distribution;
  answerToSpokenDecisionMs: Distribution;
  onsetToSilentMs: Distribution;
  onsetToBargedInMs: Distribution;
  speechEndToCallerHearsMs: Distribution;
  answerToBridgedMs: Distribution;
}

export function summarise(runs: LatencyRun[]): LatencySummary {
  const d = (k: keyof LatencyRun) => distribution(runs.map((r) => (typeof r[k] === 'number' ? (r[k] as number) : Number.NaN)));
  return {
    runs: runs.length,
    succeeded: runs.filter((r) => r.ok).length,
    holdMs: d('holdMs'),
    briefingMs: d('briefingMs'),
    keypadCallerHearsMs: d('keypadCallerHearsMs'),
    keypadDestinationHearsMs: d('keypadDestinationHearsMs'),
    keypadBridgedMs: d('keypadBridgedMs'),
    spokenCallerHearsMs: d('spokenCallerHearsMs'),
    answerToSpokenDecisionMs: d('answerToSpokenDecisionMs'),
    onsetToSilentMs: d('onsetToSilentMs'),
    onsetToBargedInMs: d('onsetToBargedInMs'),
    speechEndToCallerHearsMs: d('speechEndToCallerHearsMs'),
    answerToBridgedMs: d('answerToBridgedMs'),
  };
}

let callerAudio: string | undefined;
/** The caller says the request once, then holds a 700 Hz tone: the destination tells the caller's voice by pitch. */
async function callerFile(): Promise<string> {
  callerAudio ??= requestThenTone(
    readFileSync(await makeAlawFile({ speech: CALLER_REQUEST, gapSeconds: 1 }, tmpdir(), `bench-request-${process.pid}`)),
    CALLER_TONE_HZ,
  );
  return callerAudio;
}

export interface Call {
  caller: Phone;
  destination: Phone;
  from: string;
  close(): Promise<void>;
}

/** A caller asks for a person; the destination phone waits on the PSTN trunk's port. */
export async function placeCall(stack: StackInfo, name: string, destinationAudio: AudioSpec): Promise<Call> {
  const destination = await startCallee({ port: PSTN_PORT, ringMs: 500, audio: destinationAudio, name: `${name}-destination` });
  const from = callerNumber();
  const caller = await startCaller({ to: AGENT_NUMBER, from, audio: { file: await callerFile() }, name: `${name}-caller` }).catch(async (error: unknown) => {
    await destination.close();
    throw error;
  });
  return {
    caller,
    destination,
    from,
    close: async () => {
      await caller.hangup().catch(() => undefined);
      if (destination.events.some((e) => e.type === 'answered')) {
        await destination.waitForEvent(['bye-received', 'bye-sent', 'exit'], 8000).catch(() => destination.hangup().catch(() => undefined));
      }
      await Promise.all([caller.close(), destination.close()]);
      // The next call must meet an idle worker: wait for this call's agent to leave.
      const rooms = roomService(stack);
      await eventually(
        async () => {
          for (const room of await rooms.listRooms()) {
            if (room.name.startsWith(`call_${from}_`) && (await rooms.listParticipants(room.name)).some((p) => p.kind === AGENT_KIND)) return false;
          }
          return true;
        },
        15_000,
        'the agent to leave',
      ).catch(() => undefined);
      await sleep(1500);
    },
  };
}

async function keypadRun(stack: StackInfo, worker: RunningWorker, i: number): Promise<LatencyRun> {
  const call = await placeCall(stack, `lat-${i}`, { tone: DESTINATION_TONE_HZ });
  const run: LatencyRun = { ok: false };
  try {
    const { caller, destination } = call;
    const started = Date.now();
    const tool = at(await timelineEntry(worker, 'started', 45_000, started));
    const held = await hearsTone(caller, HOLD_TONE_HZ, tool, 10_000);
    if (held === undefined) return { ...run, failedAt: 'hold' };
    run.holdMs = held - tool;
    const answered = (await destination.waitAnswered(30_000)).at;
    const briefed = await hears(destination, answered, 10_000);
    if (briefed === undefined) return { ...run, failedAt: 'briefing' };
    run.briefingMs = briefed - answered;
    await sleep(800);
    const pressed = Date.now();
    await destination.press('1');
    const [callerHears, destinationHears] = await Promise.all([
      hearsTone(caller, DESTINATION_TONE_HZ, pressed, 10_000),
      hearsTone(destination, CALLER_TONE_HZ, pressed, 10_000),
    ]);
    const bridged = await within(10_000, () => timelineEntry(worker, 'bridged', 10_000, pressed));
    if (callerHears === undefined || destinationHears === undefined) return { ...run, failedAt: 'bridge' };
    run.keypadCallerHearsMs = callerHears - pressed;
    run.keypadDestinationHearsMs = destinationHears - pressed;
    if (bridged) run.keypadBridgedMs = at(bridged) - pressed;
    run.ok = true;
    return run;
  } catch (error) {
    return { ...run, failedAt: `error: ${String(error).slice(0, 200)}` };
  } finally {
    await call.close();
  }
}

/** The scripted model for spoken acceptance: once the destination answered, what is heard is them. */
export function spokenModel(state: { destinationAnswered: boolean }, acceptTool = 'accept_transfer') {
  const model = scriptedModel(Array.from({ length: 2000 }, () => () => (state.destinationAnswered ? ACCEPT_WORDS : CALLER_REQUEST)));
  model.onChat(hasToolResult(acceptTool), { text: 'Connecting you now.' });
  model.onChat(allOf(toolsInclude(acceptTool), lastUserMessageIncludes('put them through')), { toolCalls: [{ name: acceptTool, arguments: {} }] });
  return model;
}

/** When the destination starts to speak, after answering (the case: over the introduction). */
export const BARGE_LEAD_S = 1.5;
export const ACCEPT_WORDS = 'Yes, put them through.';

let acceptAudio: { file: string; speechStartMs: number; speechEndMs: number } | undefined;
/**
 * The destination, BARGE_LEAD_S after answering, says "Yes, put them through." and then holds a tone for 4 s,
 * again and again; with where in the file the speech starts and ends (the first and last 10 ms above a whisper).
 */
export async function acceptFile(): Promise<{ file: string; speechStartMs: number; speechEndMs: number }> {
  if (acceptAudio) return acceptAudio;
  const speech = readFileSync(
    await makeAlawFile({ speech: ACCEPT_WORDS, gapSeconds: 0.3, leadSeconds: BARGE_LEAD_S }, tmpdir(), `bench-accept-${process.pid}`),
  );
  const samples = decodeAlaw(speech);
  const loud: number[] = [];
  for (let i = 0; i + 80 <= samples.length; i += 80) if (rms(samples.subarray(i, i + 80)) > 300) loud.push(i / 8);
  acceptAudio = { file: requestThenTone(speech, DESTINATION_TONE_HZ, 4), speechStartMs: loud[0] ?? 0, speechEndMs: (loud.at(-1) ?? 0) + 10 };
  return acceptAudio;
}

async function spokenRun(stack: StackInfo, worker: RunningWorker, state: { destinationAnswered: boolean }, i: number): Promise<LatencyRun> {
  state.destinationAnswered = false;
  const audio = await acceptFile();
  const call = await placeCall(stack, `spoken-${i}`, { file: audio.file });
  const run: LatencyRun = { ok: false };
  try {
    const { caller, destination } = call;
    const started = Date.now();
    const tool = at(await timelineEntry(worker, 'started', 45_000, started));
    const held = await hearsTone(caller, HOLD_TONE_HZ, tool, 10_000);
    if (held !== undefined) run.holdMs = held - tool;
    const answered = (await destination.waitAnswered(30_000)).at;
    state.destinationAnswered = true;
    const briefed = await hears(destination, answered, 10_000);
    if (briefed !== undefined) run.briefingMs = briefed - answered;
    const decision = at(await timelineEntry(worker, 'decision', 40_000, answered));
    run.answerToSpokenDecisionMs = decision - answered;
    // The phone's stream starts at the answer (SIPp sends from its ACK, a millisecond later on loopback).
    const onset = answered + audio.speechStartMs;
    const silent = await firstWindow(destination, onset, 5000, (t) => destination.received.rms(t, t + 200) < 150, 200);
    if (silent !== undefined && briefed !== undefined && briefed < onset) run.onsetToSilentMs = silent - onset;
    const bargedIn = await within(2000, () => timelineEntry(worker, 'barged_in', 2000, answered));
    if (bargedIn && briefed !== undefined && briefed < onset) run.onsetToBargedInMs = at(bargedIn) - onset;
    const bridged = await within(10_000, () => timelineEntry(worker, 'bridged', 10_000, answered));
    if (bridged) run.answerToBridgedMs = at(bridged) - answered;
    const callerHears = await hearsTone(caller, DESTINATION_TONE_HZ, decision - 1000, 10_000);
    if (callerHears !== undefined) run.speechEndToCallerHearsMs = callerHears - (answered + audio.speechEndMs);
    // The destination's speech, not the hold music.
    const heard = await firstWindow(
      caller,
      decision,
      10_000,
      (t) => caller.received.rms(t, t + 100) > 300 && caller.received.toneRatio(HOLD_TONE_HZ, t, t + 100) < 0.3,
    );
    if (heard === undefined) return { ...run, failedAt: 'bridge' };
    run.spokenCallerHearsMs = heard - decision;
    run.ok = true;
    return run;
  } catch (error) {
    return { ...run, failedAt: `error: ${String(error).slice(0, 200)}` };
  } finally {
    await call.close();
  }
}

export async function latency(
  stack: StackInfo,
  keypadRuns: number,
  spokenRuns: number,
  log: (line: string) => void,
): Promise<{ keypad: LatencyRun[]; spoken: LatencyRun[] }> {
  const keypad: LatencyRun[] = [];
  let cast: TransferCast | undefined = await startTransferWorker(stack, 'bench-latency', { TRANSFER_TOPOLOGY: 'bridge', WORKER_IDLE_PROCESSES: '2' });
  try {
    for (let i = 1; i <= keypadRuns; i++) {
      const run = await keypadRun(stack, cast.worker, i);
      keypad.push(run);
      log(`[bench] latency ${i}/${keypadRuns}: ${JSON.stringify(run)}`);
    }
  } finally {
    await cast.close();
  }
  const spoken: LatencyRun[] = [];
  const state = { destinationAnswered: false };
  cast = await startTransferWorker(stack, 'bench-spoken', { TRANSFER_TOPOLOGY: 'bridge', WORKER_IDLE_PROCESSES: '2' }, spokenModel(state));
  try {
    for (let i = 1; i <= spokenRuns; i++) {
      const run = await spokenRun(stack, cast.worker, state, i);
      spoken.push(run);
      log(`[bench] spoken ${i}/${spokenRuns}: ${JSON.stringify(run)}`);
    }
  } finally {
    await cast.close();
  }
  return { keypad, spoken };
}
