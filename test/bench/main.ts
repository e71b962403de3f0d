// `npm run bench`: speed and capacity of warm transfers on the local stack, measured at the SIP phones, beside
// LiveKit's own WarmTransferTask. BENCH_SCENARIO=latency | capacity | bridged | rules | all (default all).
//
//   latency   BENCH_RUNS (20) transfers through the model's warm_transfer, one at a time: hold, answer →
//             briefing, keypad 1 → each side hears the other; BENCH_SPOKEN_RUNS (2) spoken acceptances; the
//             bridge's delay against two phones in one room (the floor); BENCH_TASK_RUNS (2) runs of LiveKit's
//             WarmTransferTask with the same model and phones.
//   capacity  a job process's start-up cost (compiled against tsx); BENCH_CALLS (1,4,8,16) concurrent calls
//             (greeting delay, answered); BENCH_TRANSFERS (1,2,4,8) concurrent whole transfers with
//             BENCH_TALK_S (30) s of bridged talk (success, CPU and memory of all the worker's processes from
//             /proc, late and missing frames at the phones). The warm pool is BENCH_IDLE (8) job processes.
//   bridged   what a bridged call costs (issue 21): N (BENCH_BRIDGED, 1,4,8,16,32) calls bridged at once, carried
//             by the job's relay and by the keeper's wt-forwarder (BRIDGE_CARRIER), beside the floor (N
//             two-party calls with nothing of ours), measured for BENCH_BRIDGED_S (20) s; and a mix of calls
//             arriving steadily (BENCH_MIX...), with a sizing line. Knobs in bridged-run.ts.
//   rules     the rules read-back on 1 k, 4 k, 16 k and 64 k characters of hostile text (no stack needed).
//
// Writes bench-results/bench-<time>.json, bench-results/latest.json, bench-results/chart.svg and
// bench-results/tables.md, and prints the tables. A target missed is reported, not failed. BENCH_FROM=<json>
// prints the tables and draws the chart of an earlier run again.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { LIVEKIT_SERVER_VERSION, LIVEKIT_SIP_VERSION, repoRoot } from '../../stack/local-stack.ts';
import { callsWorker, concurrentCalls, waitSettled, type CallsRow } from './calls.ts';
import { benchChart, type LatencyBar } from './chart.ts';
import { floorDelay, type FloorRun } from './floor.ts';
import { ACCEPT_WORDS, BARGE_LEAD_S, latency, summarise, type LatencyRun } from './latency.ts';
import { livekitTask, type TaskRun } from './livekit-task/run.ts';
import { RULES_LENGTHS, rulesBench, type RulesRow } from './rules.ts';
import { bridgedScenario, type BridgedResults } from './bridged-run.ts';
import { bridgedTables } from './bridged-tables.ts';
import { benchStack } from './stack.ts';
import { startupCost, type StartupRow } from './startup.ts';
import { distribution, sleep, type Distribution, type LoopDelay } from './stats.ts';
import { concurrentTransfers, transfersWorker, type TransfersRow } from './transfers.ts';

const scenario = process.env.BENCH_SCENARIO ?? 'all';
if (!['latency', 'capacity', 'bridged', 'rules', 'all'].includes(scenario))
  throw new Error(`BENCH_SCENARIO must be latency, capacity, bridged, rules or all, not ${scenario}`);
const runs = (name: string) => scenario === name || scenario === 'all';
const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const SPOKEN_RUNS = Number(process.env.BENCH_SPOKEN_RUNS ?? 2);
const TASK_RUNS = Number(process.env.BENCH_TASK_RUNS ?? 2);
const CALLS = list('BENCH_CALLS', '1,4,8,16');
const TRANSFERS = list('BENCH_TRANSFERS', '1,2,4,8');
const TALK_S = Number(process.env.BENCH_TALK_S ?? 30);
const IDLE = Number(process.env.BENCH_IDLE ?? 8);
/** Transfers at once against a worker at its default limits (WORKER_MAX_CALLS one per core): how it behaves when full. */
const FULL = Number(process.env.BENCH_FULL ?? 8);
const TARGETS = {
  holdMs: 300,
  briefingMs: 400,
  keypadCallerHearsMs: 150,
  bridgeAddedMs: 40,
  greetingP95Ms: 1500,
  lateFraction: 0.01,
  perCallMb: 150,
  onsetToSilentMs: 300,
  speechEndToCallerHearsMs: 1000,
};

const packageVersion = (name: string) =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
function sippVersion(): string {
  try {
    return /SIPp v?([\d.]+)/.exec(execFileSync('sipp', ['-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1] ?? '?';
  } catch (error) {
    return /SIPp v?([\d.]+)/.exec(String((error as { stdout?: string }).stdout ?? ''))?.[1] ?? '?';
  }
}
const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model ?? '?',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  agents: packageVersion('@livekit/agents'),
  rtcNode: packageVersion('@livekit/rtc-node'),
  livekitServer: LIVEKIT_SERVER_VERSION,
  livekitSip: LIVEKIT_SIP_VERSION,
  sipp: sippVersion(),
};

const started = Date.now();
const log = (line: string) => console.log(`${line.startsWith('[bench]') ? '' : '[bench] '}${line} (+${Math.round((Date.now() - started) / 1000)} s)`);
const cell = (d: Distribution | undefined) => (d && d.p50 !== null ? `${d.p50} / ${d.p95} / ${d.max}` : 'not measured');
const verdict = (d: Distribution | undefined, target: number) => (d?.p95 == null ? '' : d.p95 < target ? ` ✓ < ${target}` : ` ✗ target < ${target}`);
/** Rows from a results file older than the event-loop measure have none. */
const loop = (d: LoopDelay | undefined) => (d && d.jobs > 0 ? `${d.p99Ms.p50} / ${d.maxMs} (${d.jobs} jobs)` : '-');
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : '-');

interface Results {
  at: string;
  machine: typeof machine;
  scenario: string;
  durationS?: number;
  latency?: { keypad: LatencyRun[]; spoken: LatencyRun[]; floor: FloorRun[]; bridgeDelayMs?: Distribution; task: TaskRun[] };
  capacity?: { startup: StartupRow[]; calls: CallsRow[]; transfers: TransfersRow[] };
  bridged?: BridgedResults;
  rules?: RulesRow[];
}
// BENCH_FROM=<a results JSON>: print the tables and draw the chart of an earlier run again, without running.
const from = process.env.BENCH_FROM;
const results: Results = from ? (JSON.parse(readFileSync(from, 'utf8')) as Results) : { at: new Date().toISOString(), machine, scenario };
let failed = false;
if (!from && scenario !== 'rules') {
  const { local, stack } = await benchStack();
  try {
    if (runs('latency')) {
      const { keypad, spoken } = await latency(stack, RUNS, SPOKEN_RUNS, log);
      const floor: FloorRun[] = [];
      for (let i = 0; i < 2; i++) floor.push(await floorDelay(stack, 8));
      log(`floor (two phones in one room): ${JSON.stringify(floor)}`);
      const task = await livekitTask(stack, TASK_RUNS, log);
      results.latency = { keypad, spoken, floor, task };
    }
    if (runs('capacity')) {
      const startup: StartupRow[] = [];
      for (const runtime of process.env.BENCH_STARTUP === '0' ? [] : (['tsx', 'compiled'] as const)) {
        startup.push(await startupCost(stack, runtime, 4, []));
        log(`start-up ${runtime}: ${JSON.stringify({ ...startup.at(-1), calls: undefined })}`);
      }
      const calls: CallsRow[] = [];
      const callWorker = await callsWorker(stack, 'compiled', IDLE);
      try {
        for (const n of CALLS) {
          await waitSettled(callWorker, IDLE, 60_000);
          calls.push(await concurrentCalls(callWorker, 'compiled', IDLE, n));
          log(`${n} concurrent calls: ${JSON.stringify({ ...calls.at(-1), jobThreadsMs: undefined })}`);
          await sleep(3000);
        }
      } finally {
        await callWorker.stop();
      }
      const transfers: TransfersRow[] = [];
      const transferWorker = await transfersWorker(stack, IDLE);
      try {
        for (const n of TRANSFERS) {
          transfers.push(await concurrentTransfers(transferWorker, n, TALK_S * 1000, IDLE));
          log(`${n} concurrent transfers: ${JSON.stringify({ ...transfers.at(-1), runs: transfers.at(-1)!.runs.filter((r) => !r.ok) })}`);
          await sleep(3000);
        }
      } finally {
        await transferWorker.stop();
      }
      if (FULL > 0) {
        // The product's defaults: one call per core, as many warm processes (up to 4).
        const maxCalls = cpus().length;
        const idle = Math.min(4, maxCalls);
        const limited = await transfersWorker(stack, idle, { WORKER_MAX_CALLS: String(maxCalls), WORKER_MAX_TRANSFERS: '8' });
        try {
          transfers.push(await concurrentTransfers(limited, FULL, TALK_S * 1000, idle, maxCalls));
          log(
            `${FULL} concurrent transfers at WORKER_MAX_CALLS=${maxCalls}: ${JSON.stringify({ ...transfers.at(-1), runs: transfers.at(-1)!.runs.filter((r) => !r.ok) })}`,
          );
        } finally {
          await limited.stop();
        }
      }
      results.capacity = { startup, calls, transfers };
    }
    if (runs('bridged')) results.bridged = await bridgedScenario(stack, log);
  } catch (error) {
    failed = true;
    console.error('[bench] failed:', error);
  } finally {
    await local.stop();
  }
}
if (!from) {
  if (scenario === 'rules' || scenario === 'all') {
    results.rules = rulesBench();
    log(`rules read-back: ${JSON.stringify(results.rules)}`);
  }
  results.durationS = Math.round((Date.now() - started) / 1000);
}

// Tables.
const md: string[] = [];
const m = results.machine;
md.push(
  `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGb} GB; Node ${m.node}, @livekit/agents ${m.agents}, @livekit/rtc-node ${m.rtcNode}, livekit-server ${m.livekitServer}, livekit-sip ${m.livekitSip}, SIPp ${m.sipp}. Run ${results.at.slice(0, 10)}, ${results.durationS} s.`,
);
if (results.latency) {
  const { keypad, spoken, floor, task } = results.latency;
  const ours = summarise(keypad);
  const voice = summarise(spoken);
  const floorMs = distribution(floor.map((f) => f.delayMs ?? Number.NaN));
  const bridgeRuns = results.capacity?.transfers.find((t) => t.concurrent === 1)?.bridgeDelayMs;
  const taskHold = distribution(task.map((t) => t.holdMs ?? Number.NaN));
  const taskFirst = distribution(task.map((t) => t.answerToFirstAudioMs ?? Number.NaN));
  md.push(
    '',
    `| measure (ms, p50 / p95 / max) | this worker (${ours.succeeded}/${ours.runs} keypad, ${voice.succeeded}/${voice.runs} spoken) | LiveKit WarmTransferTask (${task.length} runs) |`,
    '| --- | --- | --- |',
  );
  md.push(`| tool called → caller hears hold music | ${cell(ours.holdMs)}${verdict(ours.holdMs, TARGETS.holdMs)} | ${cell(taskHold)} |`);
  md.push(
    `| destination answers → hears the briefing | ${cell(ours.briefingMs)}${verdict(ours.briefingMs, TARGETS.briefingMs)} | ${cell(taskFirst)} (its greetingSpeech) |`,
  );
  md.push(
    `| keypad 1 → caller hears the destination | ${cell(ours.keypadCallerHearsMs)}${verdict(ours.keypadCallerHearsMs, TARGETS.keypadCallerHearsMs)} | no keypad decision in the task |`,
  );
  md.push(`| keypad 1 → destination hears the caller | ${cell(ours.keypadDestinationHearsMs)} | no keypad decision in the task |`);
  md.push(`| keypad 1 → worker's \`bridged\` (worker side) | ${cell(ours.keypadBridgedMs)} | - |`);
  md.push(
    `| spoken "${ACCEPT_WORDS}": decision → caller hears the destination | ${cell(voice.spokenCallerHearsMs)} | ${task
      .map((t) => t.merge ?? t.failedAt ?? '?')
      .filter((v, i, a) => a.indexOf(v) === i)
      .join(
        '; ',
      )}: caller heard the destination in ${task.filter((t) => t.callerHeardDestination).length}/${task.length}, still on hold music in ${task.filter((t) => t.holdMusicAfterMerge).length}/${task.length} |`,
  );
  md.push(
    `| spoken: destination answers → decision (utterance over the briefing, end of speech, STT) | ${cell(voice.answerToSpokenDecisionMs)} | ${cell(distribution(task.map((t) => t.answerToMergeMs ?? Number.NaN)))} (to the failed move) |`,
  );
  md.push(
    `| spoken over the briefing: the person starts talking → the agent is silent at their phone | ${cell(voice.onsetToSilentMs)}${verdict(voice.onsetToSilentMs, TARGETS.onsetToSilentMs)} | ${cell(distribution(task.map((t) => t.onsetToSilentMs ?? Number.NaN)))} (its greeting) |`,
  );
  md.push(
    `| of which: the person starts talking → the worker's \`barged_in\` (their audio in, the VAD; the rest is the agent's audio out) | ${cell(voice.onsetToBargedInMs)} | - |`,
  );
  md.push(
    `| spoken over the briefing: end of "${ACCEPT_WORDS}" → caller hears the destination | ${cell(voice.speechEndToCallerHearsMs)}${verdict(voice.speechEndToCallerHearsMs, TARGETS.speechEndToCallerHearsMs)} | never (the move fails on self-hosted) |`,
  );
  md.push(
    `| spoken ${BARGE_LEAD_S} s after answering: destination answers → bridged | ${cell(voice.answerToBridgedMs)} | ${cell(distribution(task.map((t) => t.answerToMergeMs ?? Number.NaN)))} to its decision (then the failed move) |`,
  );
  md.push(`| audio delay: two phones in one room (floor) | ${cell(floorMs)} | - |`);
  if (bridgeRuns)
    md.push(
      `| audio delay: destination → caller through the bridge (1 transfer) | ${cell(bridgeRuns)}; adds ${bridgeRuns.p50 !== null && floorMs.p50 !== null ? bridgeRuns.p50 - floorMs.p50 : '?'} ms at p50${bridgeRuns.p50 !== null && floorMs.p50 !== null ? (bridgeRuns.p50 - floorMs.p50 < TARGETS.bridgeAddedMs ? ' ✓' : ` ✗ target < ${TARGETS.bridgeAddedMs}`) : ''} | cannot bridge on self-hosted |`,
    );
  md.push('', "(The delays include a constant offset of the SIPp phone's stream start; only their difference is the bridge's.)");
}
if (results.capacity) {
  const { startup, calls, transfers } = results.capacity;
  md.push(
    '',
    '| job process start-up | spawn → registered ms | pool ready ms | CPU per job process ms | RSS per job process MB | main process CPU ms | idle worker, cores |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of startup)
    md.push(
      `| ${s.runtime === 'tsx' ? 'TypeScript through tsx (before)' : 'compiled dist/ (after)'} | ${s.registerMs} | ${s.settleMs} | ${s.jobProcessCpuMs} | ${s.jobProcessRssMb} | ${s.mainProcessCpuMs} | ${s.idleCores} |`,
    );
  md.push(
    '',
    `| concurrent calls (warm pool ${calls[0]?.idleProcesses ?? IDLE}) | greeted | answer → greeting ms p50 / p95 / max | worker CPU, cores | peak memory MB (largest process) | "VAD slower than realtime" | init timeouts | job event-loop delay ms: p99 (median of jobs) / max |`,
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const c of calls)
    md.push(
      `| ${c.concurrent} | ${c.greeted}/${c.concurrent} | ${cell(c.greetingMs)}${verdict(c.greetingMs, TARGETS.greetingP95Ms)} | ${c.usage.cores.toFixed(2)} | ${c.usage.peakRssMb} (${c.usage.peakProcessRssMb}) | ${c.vadSlowerWarnings} | ${c.initTimeouts} | ${loop(c.loopDelay)} |`,
    );
  md.push(
    '',
    `| concurrent transfers (${TALK_S} s talk) | succeeded | refused busy (after ms p50) | answer → briefing ms p50 / p95 | worker CPU, cores (whole run) | CPU per bridged call, cores | peak memory MB | largest job process MB | late frames | missing frames | bridge delay ms p50 | job event-loop delay ms: p99 (median of jobs) / max | takeovers |`,
    '| ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
  );
  const refusedCell = (t: TransfersRow) => (t.refusedBusy === undefined ? '-' : t.refusedBusy === 0 ? '0' : `${t.refusedBusy} (${t.refusedMs?.p50 ?? '?'})`);
  for (const t of transfers)
    md.push(
      `| ${t.concurrent}${t.maxCalls !== undefined ? ` (worker's defaults: WORKER_MAX_CALLS=${t.maxCalls})` : ''} | ${t.succeeded}/${t.concurrent} | ${refusedCell(t)} | ${t.briefingMs.p50 ?? '-'} / ${t.briefingMs.p95 ?? '-'} | ${t.usage.cores.toFixed(2)} | ${Number.isFinite(t.talkCoresPerCall) ? t.talkCoresPerCall.toFixed(3) : '-'} | ${t.usage.peakRssMb} | ${t.usage.peakProcessRssMb} | ${pct(t.lateFraction)} | ${pct(t.missingFraction)} | ${t.bridgeDelayMs.p50 ?? '-'} | ${loop(t.loopDelay)} | ${t.takeovers ?? '-'} |`,
    );
  const full = [...transfers].reverse().find((t) => t.maxCalls === undefined && t.succeeded === t.concurrent && t.lateFraction < TARGETS.lateFraction);
  if (full)
    md.push(
      '',
      `Sizing: ${full.concurrent} concurrent transfers all succeeded with ${pct(full.lateFraction)} late frames on ${m.cores} cores: about ${(full.concurrent / m.cores).toFixed(1)} concurrent transfers per core (bridged talk alone: ${full.talkCoresPerCall.toFixed(2)} cores per call).`,
    );
}
if (results.bridged) md.push(...bridgedTables(results.bridged, m.cores));
if (results.rules) {
  const k = (n: number) => `${n / 1000} k`;
  md.push(
    '',
    `| rules read-back on hostile text (ms, median) | ${RULES_LENGTHS.map(k).join(' | ')} | ${k(RULES_LENGTHS[3])} ÷ ${k(RULES_LENGTHS[2])} (linear ≈ 4, quadratic ≈ 16) |`,
    `| --- | ${RULES_LENGTHS.map(() => '---:').join(' | ')} | ---: |`,
  );
  for (const r of results.rules) md.push(`| ${r.pattern} | ${r.ms.join(' | ')} | ${r.growth} |`);
}
const tables = md.join('\n');
console.log(`\n${tables}\n`);

const dir = join(repoRoot, 'bench-results');
mkdirSync(dir, { recursive: true });
const json = `${JSON.stringify(results, null, 2)}\n`;
const rulesOnly = results.scenario === 'rules';
if (!from) {
  writeFileSync(join(dir, `bench-${rulesOnly ? 'rules-' : ''}${results.at.replace(/[:.]/g, '-')}.json`), json);
  // A rules-only run leaves the last whole run's results and chart as they are.
  if (!rulesOnly) writeFileSync(join(dir, 'latest.json'), json);
}
writeFileSync(join(dir, rulesOnly ? 'rules-tables.md' : 'tables.md'), `${tables}\n`);
// A bridged-only run has nothing for the chart: the last one stays.
if (rulesOnly || results.scenario === 'bridged') {
  console.log(`[bench] ${results.durationS} s; results in ${dir}`);
  process.exit(failed ? 1 : 0);
}
const lat = results.latency ? summarise(results.latency.keypad) : undefined;
const spokenSummary = results.latency ? summarise(results.latency.spoken) : undefined;
const task = results.latency?.task ?? [];
const bars: LatencyBar[] = [
  { label: 'tool → hold music', ...(lat ? { ours: lat.holdMs } : {}), theirs: distribution(task.map((t) => t.holdMs ?? Number.NaN)), targetMs: TARGETS.holdMs },
  {
    label: 'answer → first audio',
    ...(lat ? { ours: lat.briefingMs } : {}),
    theirs: distribution(task.map((t) => t.answerToFirstAudioMs ?? Number.NaN)),
    targetMs: TARGETS.briefingMs,
  },
  {
    label: 'keypad 1 → caller hears dest.',
    ...(lat ? { ours: lat.keypadCallerHearsMs } : {}),
    theirsNote: 'no keypad decision',
    targetMs: TARGETS.keypadCallerHearsMs,
  },
  { label: 'keypad 1 → dest. hears caller', ...(lat ? { ours: lat.keypadDestinationHearsMs } : {}), theirsNote: 'no keypad decision' },
  {
    label: 'spoken decision → caller hears',
    ...(spokenSummary ? { ours: spokenSummary.spokenCallerHearsMs } : {}),
    theirsNote: 'never: MoveParticipant "not implemented" on self-hosted',
  },
];
const chart = benchChart({
  title: `Warm transfer bench, ${results.at.slice(0, 10)}`,
  subtitle: `${m.cores} cores, Node ${m.node}, @livekit/agents ${m.agents}, livekit-server ${m.livekitServer}, livekit-sip ${m.livekitSip}; measured at SIPp phones`,
  latency: bars,
  calls: (results.capacity?.calls ?? []).map((c) => ({ x: c.concurrent, cores: c.usage.cores, rssMb: c.usage.peakRssMb, ok: c.greeted, of: c.concurrent })),
  transfers: (results.capacity?.transfers ?? [])
    .filter((t) => t.maxCalls === undefined)
    .map((t) => ({ x: t.concurrent, cores: t.usage.cores, rssMb: t.usage.peakRssMb, ok: t.succeeded, of: t.concurrent })),
});
writeFileSync(join(dir, 'chart.svg'), chart);
console.log(`[bench] ${results.durationS} s; results in ${dir} (latest.json, tables.md, chart.svg)`);
process.exit(failed ? 1 : 0);
