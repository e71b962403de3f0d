// `npm run bench`: the speed targets of a warm transfer, measured on the local stack with real SIP phones.
// Each run is one whole transfer: a SIPp caller asks for a person, the scripted model calls warm_transfer,
// the destination (SIPp) answers, is briefed, presses 1, and hears the caller. Times are taken where a
// person would notice them: at the phones (when audio arrives) and at the worker's timeline.
//
//   hold      tool called          -> caller hears hold music            target < 300 ms
//   briefing  destination answers  -> destination hears the agent        target < 400 ms
//   bridge    destination presses 1 -> worker has bridged the calls       target < 250 ms
//   heard     destination presses 1 -> caller hears the destination      (no target; what a caller notices)
//
// BENCH_RUNS (default 5) transfers; results are printed and written to .stack/logs/bench-transfer.json.
// A target missed is reported, not failed: this is a measurement, not a test.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyTrunks } from '../../sip-trunk/apply.ts';
import { startLocalStack } from '../../stack/local-stack.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import type { Phone } from '../../phones/index.ts';
import {
  at, DESTINATION_TONE_HZ, HOLD_TONE_HZ, placeTransferCall, startTransferWorker, timelineEntry, type TransferCast,
} from '../support/transfer-call.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGETS_MS: Record<string, number | undefined> = { hold: 300, briefing: 400, bridge: 250, heard: undefined };

/** Start of the first 100 ms window after `from` in which `test` holds for the audio `phone` received. */
async function firstWindow(phone: Phone, from: number, withinMs: number, test: (start: number) => boolean): Promise<number> {
  const deadline = Date.now() + withinMs;
  let t = from;
  while (Date.now() < deadline) {
    for (; t + 100 <= Date.now(); t += 5) if (test(t)) return t;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`nothing matched within ${withinMs} ms`);
}

async function oneTransfer(stack: StackInfo, cast: TransferCast, run: number): Promise<Record<string, number>> {
  const call = await placeTransferCall(stack, `bench-${run}`);
  try {
    const { caller, callee } = call;
    const started = Date.now();
    const tool = at(await timelineEntry(cast.worker, 'started', 60_000, started));
    const music = await firstWindow(caller, tool, 10_000, (t) => caller.received.rms(t, t + 100) > 300 && caller.received.toneRatio(HOLD_TONE_HZ, t, t + 100) > 0.5);
    const answered = (await callee.waitAnswered(45_000)).at;
    const briefed = await firstWindow(callee, answered, 10_000, (t) => callee.received.rms(t, t + 100) > 300);
    await timelineEntry(cast.worker, 'prompted', 60_000, started);
    const pressed = Date.now();
    await callee.press('1');
    const bridged = at(await timelineEntry(cast.worker, 'bridged', 10_000, started));
    const heard = await firstWindow(caller, pressed, 10_000, (t) => caller.received.toneRatio(DESTINATION_TONE_HZ, t, t + 100) > 0.5);
    return { hold: music - tool, briefing: briefed - answered, bridge: bridged - pressed, heard: heard - pressed };
  } finally {
    await call.close();
  }
}

function summary(values: number[]): { median: number; p90: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
  return { median: pick(0.5), p90: pick(0.9), max: sorted.at(-1) ?? Number.NaN };
}

const local = await startLocalStack();
let cast: TransferCast | undefined;
let failed = false;
try {
  const ids = await applyTrunks({ url: local.livekitUrl, apiKey: local.apiKey, apiSecret: local.apiSecret });
  const stack: StackInfo = { livekitUrl: local.livekitUrl, apiKey: local.apiKey, apiSecret: local.apiSecret, redisUrl: `redis://${local.redisAddress}`, logDir: local.logDir, ...ids };
  cast = await startTransferWorker(stack, 'bench', { TRANSFER_TOPOLOGY: 'bridge' });
  const runs: Array<Record<string, number>> = [];
  for (let run = 1; run <= RUNS; run++) {
    const result = await oneTransfer(stack, cast, run);
    runs.push(result);
    console.log(`[bench] run ${run}/${RUNS}: ${Object.entries(result).map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
  }
  const report = Object.fromEntries(Object.keys(TARGETS_MS).map((k) => [k, { ...summary(runs.map((r) => r[k] ?? Number.NaN)), targetMs: TARGETS_MS[k] ?? null }]));
  console.log('\n| measure | median ms | p90 ms | max ms | target ms |\n| --- | --- | --- | --- | --- |');
  for (const [name, s] of Object.entries(report)) {
    const verdict = s.targetMs === null ? '-' : `< ${s.targetMs}${s.p90 < s.targetMs ? '' : ' (missed at p90)'}`;
    console.log(`| ${name} | ${s.median} | ${s.p90} | ${s.max} | ${verdict} |`);
  }
  const file = join(local.logDir, 'bench-transfer.json');
  writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), runs, report }, null, 2)}\n`);
  console.log(`\n[bench] ${RUNS} transfers; results: ${file}`);
} catch (error) {
  failed = true;
  console.error('[bench] failed:', error);
} finally {
  await cast?.close();
  await local.stop();
}
process.exit(failed ? 1 : 0);
