// The bridged scenario's tables (markdown lines for tables.md): one row per carrier and N beside the floor,
// the reasons a series stopped, the mix, and the sizing line computed from the mix. Targets are marked met
// (✓) or missed (✗), never failed.
import type { BridgedResults } from './bridged-run.ts';
import type { BridgedRow } from './bridged.ts';
import type { Distribution } from './stats.ts';

export const BRIDGED_TARGETS = { coresPerCall: 0.02, mbPerCall: 10, addedP50Ms: 20, lateFraction: 0.01, jobsGoneMs: 1000 };
const T = BRIDGED_TARGETS;

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : '-');
const mark = (ok: boolean) => (ok ? ' ✓' : ' ✗');
const num = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '-');
const pair = (d: Distribution | undefined, b: 'p95' | 'max' = 'p95') => (d && d.p50 !== null ? `${d.p50} / ${d[b]}` : '-');

function jobsCell(r: BridgedRow): string {
  const none = r.jobsInCalls === 0;
  return `${r.jobProcesses} (${r.jobsInCalls} in calls)${mark(none)}`;
}

function goneCell(r: BridgedRow): string {
  if (r.jobsStayed === r.bridged) return `stayed (${r.jobsStayed})${mark(false)}`;
  const ok = r.jobsStayed === 0 && r.jobsGoneMs.max !== null && r.jobsGoneMs.max < T.jobsGoneMs;
  return `${pair(r.jobsGoneMs, 'max')}${r.jobsStayed ? `, ${r.jobsStayed} stayed` : ''}${mark(ok)}`;
}

function addedCell(r: BridgedRow, floor: Distribution | undefined): string {
  if (!floor || floor.p50 === null || r.delayMs.p50 === null) return '-';
  const p50 = r.delayMs.p50 - floor.p50;
  const p95 = r.delayMs.p95 !== null && floor.p95 !== null ? r.delayMs.p95 - floor.p95 : '-';
  return `${p50} / ${p95}${mark(p50 < T.addedP50Ms)}`;
}

export function bridgedTables(b: BridgedResults, cores: number): string[] {
  const md = b.floor.length || b.rows.length ? seriesTable(b) : [];
  const m = b.mix;
  if (m) {
    md.push(
      '',
      `| mix (${m.carrier}) | calls, one every | each: talk before the bridge, bridged | bridged | peak bridged at once | worker CPU at the peak, cores | machine CPU at the peak, cores | worker CPU over the mix, cores | late frames | missing frames | delay ms p50 / p95 |`,
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      `| ${m.durationS} s | ${m.calls}, ${m.everyS} s | silent ${m.leadS} s, request, transfer; ${m.bridgedS} s | ${m.bridgedCalls}/${m.calls} | ${m.peakBridged} | ${num(m.workerCoresAtPeak, 3)} | ${num(m.machineCoresAtPeak, 2)} | ${num(m.workerCores, 3)} | ${pct(m.lateFraction)}${mark(m.lateFraction < T.lateFraction)} | ${pct(m.missingFraction)} | ${pair(m.delayMs)} |`,
    );
    md.push('', sizing(m, cores));
  }
  return md;
}

/** One row per N and carrier, the floor first, with the targets marked. */
function seriesTable(b: BridgedResults): string[] {
  const md: string[] = [
    '',
    `| bridged calls at once (${b.seconds} s measured) | carried by | bridged | worker CPU per call, cores (< ${T.coresPerCall}) | worker MB per call (< ${T.mbPerCall}) | job processes (in calls: 0) | job process gone after the bridge, ms p50 / max (< ${T.jobsGoneMs}) | late frames (< 1 %) | missing frames | delay ms p50 / p95 | added over the floor ms p50 / p95 (< ${T.addedP50Ms}) | machine CPU, cores |`,
    '| ---: | --- | ---: | ---: | ---: | --- | --- | ---: | ---: | --- | --- | ---: |',
  ];
  const floorOf = (n: number) => b.floor.find((f) => f.concurrent === n);
  const ns = [...new Set([...b.floor.map((f) => f.concurrent), ...b.rows.map((r) => r.concurrent)])].sort((x, y) => x - y);
  for (const n of ns) {
    const f = floorOf(n);
    if (f)
      md.push(
        `| ${n} | floor (nothing of ours) | ${f.connected}/${n} | - | - | - | - | ${pct(f.lateFraction)} | ${pct(f.missingFraction)} | ${pair(f.delayMs)} | - | ${num(f.machineCores, 2)} |`,
      );
    for (const r of b.rows.filter((x) => x.concurrent === n))
      md.push(
        `| ${n} | ${r.carrier} | ${r.bridged}/${n} | ${num(r.coresPerCall, 3)}${mark(r.coresPerCall < T.coresPerCall)} | ${num(r.mbPerCall, 1)}${mark(r.mbPerCall < T.mbPerCall)} | ${jobsCell(r)} | ${goneCell(r)} | ${pct(r.lateFraction)}${mark(r.lateFraction < T.lateFraction)} | ${pct(r.missingFraction)} | ${pair(r.delayMs)} | ${addedCell(r, f?.delayMs)} | ${num(r.machineCores, 2)} |`,
      );
  }
  md.push(...whereItGoes(b.rows));
  if (b.stopped.length) md.push('', ...b.stopped.map((s) => `Stopped: ${s}.`));
  const noise = busyElsewhere(b);
  if (noise.length) md.push('', `Machine not quiet while measuring (processes of neither the stack, the worker nor the phones, cores): ${noise.join('; ')}.`);
  md.push(
    '',
    `(Worker CPU and memory: all its processes, job processes and wt-forwarder included, less the same worker idle just before with its warm pool of ${b.idle}. Calls arrived ${b.gapMs} ms apart. Delays include the SIPp phone's stream-start offset, which varies by about 100 ms from one call to the next: the difference from the floor is the bridge's, and means little below a few calls.)`,
  );
  return md;
}

/** The forwarder rows' hand-over step by step, and where wt-forwarder's CPU went. */
export function whereItGoes(rows: BridgedRow[]): string[] {
  const md: string[] = [];
  for (const r of rows.filter((x) => x.carrier === 'forwarder')) {
    const steps = [
      r.askToKeptMs?.p50 != null ? `the job's ask → the keeper has the call ${pair(r.askToKeptMs, 'max')} ms` : '',
      r.keptToGoneMs?.p50 != null ? `the keeper has it → the job process gone ${pair(r.keptToGoneMs, 'max')} ms` : '',
    ].filter((x) => x !== '');
    const p = r.forwarderProfile;
    const parts = p ? Object.entries(p.byPart).map(([part, share]) => `${part} ${pct(share)}`) : [];
    const byRole = r.byCommand
      ? Object.entries(r.byCommand)
          .filter(([c]) => c.startsWith('worker '))
          .map(([c, cores]) => `${c.slice('worker '.length)} ${num(cores / Math.max(1, r.bridged), 4)}`)
      : [];
    if (!steps.length && !p && !byRole.length) continue;
    md.push('', `Forwarder, ${r.concurrent} calls:`);
    if (steps.length) md.push(`- hand-over (p50 / max): ${steps.join('; ')}.`);
    const t = r.takeSteps;
    if (t && t.bridgeMs.p50 !== null)
      md.push(
        `- the keeper's take (p50 / max): both on the line? ${pair(t.lineMs, 'max')} ms; the forwarder's bridge ${pair(t.bridgeMs, 'max')} ms (joining both rooms ${pair(t.joinedMs, 'max')} ms of it, the rest publishing and subscribing); the record handed over ${pair(t.recordMs, 'max')} ms.`,
      );
    if (byRole.length) md.push(`- worker CPU per call by process (cores, idle not subtracted): ${byRole.join(', ')}.`);
    if (p) {
      md.push(`- wt-forwarder's own time (profile, ${num(p.cores, 3)} cores; \`${p.file.split('/').pop()}\`): ${parts.join(', ')}.`);
      md.push(`- busiest functions: ${p.top.map(([fn, share]) => `\`${fn}\` ${pct(share)}`).join(', ')}.`);
    }
  }
  return md;
}

/** "About K concurrent bridged calls per core", from the mix's peak and the worker's CPU while it held. */
function sizing(m: NonNullable<BridgedResults['mix']>, cores: number): string {
  if (m.peakBridged === 0 || !Number.isFinite(m.workerCoresAtPeak) || m.workerCoresAtPeak <= 0) return 'Sizing: the mix bridged no call; nothing to size from.';
  const perCore = m.peakBridged / m.workerCoresAtPeak;
  const caveats = [
    m.bridgedCalls < m.calls ? `${m.calls - m.bridgedCalls} of ${m.calls} calls were not bridged` : '',
    m.lateFraction >= T.lateFraction ? `${pct(m.lateFraction)} of the frames were late, over the 1 % target` : '',
    m.machineCoresAtPeak >= 0.9 * cores ? 'the machine was saturated at the peak, so the worker got less CPU than it would have used' : '',
  ].filter((c) => c !== '');
  return (
    `Sizing (mix, ${m.carrier}): ${m.peakBridged} calls bridged at once took ${m.workerCoresAtPeak.toFixed(3)} cores of the worker (the machine, stack and phones included: ${m.machineCoresAtPeak.toFixed(2)} of ${cores}): ` +
    `about ${perCore >= 10 ? Math.round(perCore) : perCore.toFixed(1)} concurrent bridged calls per core of the worker${caveats.length ? ` (but ${caveats.join('; ')})` : ''}.`
  );
}

/** Processes that are none of ours (another build or test on a shared machine) and used ≥ 0.1 cores in a row's window. */
const OURS = /^(worker |bench \(phones\)|livekit-|sipp|redis-server|wt-forwarder)/;
function busyElsewhere(b: BridgedResults): string[] {
  const rows = [
    ...b.floor.map((f) => ({ name: `floor ${f.concurrent}`, by: f.byCommand ?? {} })),
    ...b.rows.map((r) => ({ name: `${r.carrier} ${r.concurrent}`, by: r.byCommand ?? {} })),
  ];
  return rows.flatMap(({ name, by }) => {
    const others = Object.entries(by).filter(([command, cores]) => !OURS.test(command) && cores >= 0.1);
    return others.length ? [`${name}: ${others.map(([c, cores]) => `${c.trim()} ${cores.toFixed(2)}`).join(', ')}`] : [];
  });
}
