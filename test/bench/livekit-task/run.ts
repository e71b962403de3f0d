// Runs LiveKit's WarmTransferTask (agent.ts beside this file) on the local stack with the same scripted model
// and phones as our latency runs, and records what the phones get: hold start, answer → first audio, and what
// happens at the merge (on self-hosted MoveParticipant answers "not implemented": the error is kept).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../../stack/local-stack.ts';
import type { StackInfo } from '../../../stack/stack-info.ts';
import { DESTINATION_TONE_HZ, HOLD_TONE_HZ, holdToneWav } from '../../support/transfer-call.ts';
import { acceptFile, placeCall, spokenModel } from '../latency.ts';
import { firstWindow, hears, hearsTone } from '../listen.ts';
import { sleep } from '../stats.ts';
import { stopGroup } from '../../../stack/processes.ts';

export interface TaskRun {
  holdMs?: number;
  answerToFirstAudioMs?: number;
  /** What the task reported at the merge: its error (name and message), or that it merged. */
  merge?: string;
  /** Destination answered → the task's merge attempt ended (the briefing, the person's answer, the move). */
  answerToMergeMs?: number;
  callerHeardDestination: boolean;
  /** The person starts talking over the task's greeting → the destination's phone hears it stop. */
  onsetToSilentMs?: number;
  /** Whether the caller still heard hold music 3 s after the failed merge (the task does not end: its
   *  connect_to_caller tool fails, the briefing agent carries on, the caller stays on hold). */
  holdMusicAfterMerge?: boolean;
  failedAt?: string;
}

interface Runner {
  lines(): Array<Record<string, unknown>>;
  log(): string;
  stop(): Promise<void>;
}

async function startRunner(stack: StackInfo, baseURL: string): Promise<Runner> {
  const dir = join(stack.logDir, 'workers');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `livekit-task-${Date.now()}.log`);
  const fd = openSync(file, 'a');
  const child = spawn(process.execPath, [join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), fileURLToPath(new URL('./agent.ts', import.meta.url)), 'start'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LIVEKIT_URL: stack.livekitUrl,
      LIVEKIT_API_KEY: stack.apiKey,
      LIVEKIT_API_SECRET: stack.apiSecret,
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: baseURL,
      SIP_OUTBOUND_TRUNK_ID: stack.pstnTrunkId,
      HOLD_MUSIC: holdToneWav(),
    },
  });
  closeSync(fd);
  const log = () => readFileSync(file, 'utf8');
  const stop = () => stopGroup(child);
  const deadline = Date.now() + 60_000;
  while (!log().includes('registered worker')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the WarmTransferTask runner did not register:\n${log().slice(-2000)}`);
    }
    await sleep(200);
  }
  // Our own step lines, and the framework's log line for a tool that threw (connect_to_caller's move).
  const lines = () =>
    log()
      .split('\n')
      .flatMap((l): Array<Record<string, unknown>> => {
        if (l.startsWith('{"lkTask"')) return [JSON.parse(l) as Record<string, unknown>];
        if (!l.includes('"function":"connect_to_caller"') || !l.includes('"error"')) return [];
        const entry = JSON.parse(l) as { time: number; error: unknown };
        return [{ lkTask: 'merge_failed', at: new Date(entry.time).toISOString(), message: String(entry.error) }];
      });
  return { lines, log, stop };
}

async function line(runner: Runner, step: string | string[], after: number, ms: number): Promise<Record<string, unknown> | undefined> {
  const steps = Array.isArray(step) ? step : [step];
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = runner.lines().find((l) => steps.includes(String(l.lkTask)) && Date.parse(String(l.at)) >= after);
    if (found) return found;
    await sleep(100);
  }
  return undefined;
}

export async function livekitTask(stack: StackInfo, runs: number, log: (line: string) => void): Promise<TaskRun[]> {
  const state = { destinationAnswered: false };
  const model = spokenModel(state, 'connect_to_caller');
  const server = await model.start();
  const runner = await startRunner(stack, server.baseURL);
  const out: TaskRun[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      state.destinationAnswered = false;
      const audio = await acceptFile();
      const call = await placeCall(stack, `lktask-${i}`, { file: audio.file });
      const run: TaskRun = { callerHeardDestination: false };
      try {
        const started = Date.now();
        const tool = await line(runner, 'started', started, 45_000);
        if (!tool) {
          run.failedAt = 'tool';
        } else {
          const toolAt = Date.parse(String(tool.at));
          const held = await hearsTone(call.caller, HOLD_TONE_HZ, toolAt, 10_000);
          if (held !== undefined) run.holdMs = held - toolAt;
          const answered = (await call.destination.waitAnswered(30_000)).at;
          state.destinationAnswered = true;
          const first = await hears(call.destination, answered, 10_000);
          if (first !== undefined) run.answerToFirstAudioMs = first - answered;
          const onset = answered + audio.speechStartMs;
          const silent = await firstWindow(call.destination, onset, 5000, (t) => call.destination.received.rms(t, t + 200) < 150, 200);
          if (silent !== undefined && first !== undefined && first < onset) run.onsetToSilentMs = silent - onset;
          const merge = await line(runner, ['merged', 'error', 'merge_failed'], answered, 45_000);
          if (merge) {
            run.merge = merge.lkTask === 'merged' ? 'merged' : String(merge.message);
            const mergeAt = Date.parse(String(merge.at));
            run.answerToMergeMs = mergeAt - answered;
            run.callerHeardDestination = (await hearsTone(call.caller, DESTINATION_TONE_HZ, mergeAt, 5000)) !== undefined;
            run.holdMusicAfterMerge = call.caller.received.toneRatio(HOLD_TONE_HZ, mergeAt + 3000, mergeAt + 4000) > 0.5;
          } else {
            run.failedAt = 'merge';
          }
        }
      } catch (error) {
        run.failedAt = `error: ${String(error).slice(0, 200)}`;
      } finally {
        await call.close();
      }
      out.push(run);
      log(`[bench] WarmTransferTask ${i}/${runs}: ${JSON.stringify(run)}`);
    }
  } finally {
    await runner.stop();
    await server.close();
  }
  return out;
}
