// Runs the `bridged` scenario: the floor for each N first (the machine's own limit, which bounds every
// mode's series), then each carrier's series on a worker of its own, then the mix. Knobs:
//   BENCH_BRIDGED           N calls bridged at once (1,4,8,16,32)
//   BENCH_BRIDGED_S         seconds measured once all N are bridged and settled (20)
//   BENCH_BRIDGED_GAP_MS    between two calls' arrivals (3000): N set-ups at once would measure the set-up
//                           (and the warm pool's refills) rather than the bridged calls
//   BENCH_BRIDGED_IDLE      the worker's warm pool (4)
//   BENCH_BRIDGED_CARRIERS  relay,forwarder
//   BENCH_FLOOR_MAX_LATE    the floor fails (and no mode runs at its N or more) when a pair is not connected or
//                           this share of its frames is late (0.01, the target set for the bridge: a machine
//                           that cannot carry N calls cleanly without us says nothing about our bridge)
//   BENCH_MIX               calls in the mix (16; 0 skips it), BENCH_MIX_EVERY_S (10) apart, each silent for
//                           BENCH_MIX_LEAD_S (15) before asking, then BENCH_MIX_BRIDGED_S (300) of bridged
//                           talk; BENCH_MIX_CARRIER (forwarder)
import type { StackInfo } from '../../stack/stack-info.ts';
import { bridgedWorker, MAX_DESKS, SPARE_DESKS, type Carrier } from './bridged-call.ts';
import { bridgedMix, type MixRow } from './bridged-mix.ts';
import { bridgedRow, type BridgedRow } from './bridged.ts';
import { floorPairs, type FloorRow } from './floor.ts';
import { sleep } from './stats.ts';

export interface BridgedResults {
  seconds: number;
  gapMs: number;
  idle: number;
  floor: FloorRow[];
  rows: BridgedRow[];
  /** Why a series stopped before its last N, one sentence each. */
  stopped: string[];
  mix?: MixRow;
}

const env = process.env;
const list = (text: string) =>
  text
    .split(',')
    .map(Number)
    .filter((n) => n > 0);

function carriers(): Carrier[] {
  const named = (env.BENCH_BRIDGED_CARRIERS ?? 'relay,forwarder').split(',').filter((c) => c !== '');
  for (const c of named) if (c !== 'relay' && c !== 'forwarder') throw new Error(`BENCH_BRIDGED_CARRIERS: relay or forwarder, not ${c}`);
  return named as Carrier[];
}

export async function bridgedScenario(stack: StackInfo, log: (line: string) => void): Promise<BridgedResults> {
  const ns = list(env.BENCH_BRIDGED ?? '1,4,8,16,32');
  const seconds = Number(env.BENCH_BRIDGED_S ?? 20);
  const gapMs = Number(env.BENCH_BRIDGED_GAP_MS ?? 3000);
  const idle = Number(env.BENCH_BRIDGED_IDLE ?? 4);
  const maxLate = Number(env.BENCH_FLOOR_MAX_LATE ?? 0.01);
  const mixCalls = Number(env.BENCH_MIX ?? 16);
  // Each call of a row has a desk phone of its own (5101...), and the rules name MAX_DESKS of them.
  if (Math.max(mixCalls, ...ns) + SPARE_DESKS > MAX_DESKS) throw new Error(`BENCH_BRIDGED and BENCH_MIX: at most ${MAX_DESKS - SPARE_DESKS} calls`);
  const out: BridgedResults = { seconds, gapMs, idle, floor: [], rows: [], stopped: [] };
  // The floor first: an N the machine cannot carry without us is not run for any mode.
  const reachable: number[] = [];
  for (const n of ns) {
    const row = await floorPairs(stack, n, seconds, (seconds + 120) * 1000);
    if (!row.failedAt && !(row.lateFraction < maxLate)) row.failedAt = `${(row.lateFraction * 100).toFixed(2)} % of its frames late`;
    out.floor.push(row);
    log(`bridged floor ${n}: ${JSON.stringify(row)}`);
    if (row.failedAt) {
      out.stopped.push(`floor: failed at ${n} calls (${row.failedAt}); no mode was run at ${n} or more`);
      break;
    }
    reachable.push(n);
    await sleep(2000);
  }
  const maxCalls = Math.max(0, ...reachable) + idle + 4;
  for (const carrier of reachable.length ? carriers() : []) {
    const cast = await bridgedWorker(stack, carrier, idle, maxCalls);
    try {
      for (const n of reachable) {
        const row = await bridgedRow(stack, cast, carrier, n, { idle, seconds, gapMs });
        out.rows.push(row);
        log(`bridged ${carrier} ${n}: ${JSON.stringify({ ...row, rssByRole: undefined })}`);
        if (row.bridged < n) {
          out.stopped.push(`${carrier}: ${row.bridged} of ${n} calls bridged (${JSON.stringify(row.failures)}); its series stopped there`);
          break;
        }
      }
    } finally {
      await cast.close();
    }
  }
  if (mixCalls > 0) {
    const mixCarrier = (env.BENCH_MIX_CARRIER ?? 'forwarder') as Carrier;
    const cast = await bridgedWorker(stack, mixCarrier, idle, mixCalls + idle + 4);
    try {
      out.mix = await bridgedMix(stack, cast, mixCarrier, {
        calls: mixCalls,
        everyS: Number(env.BENCH_MIX_EVERY_S ?? 10),
        leadS: Number(env.BENCH_MIX_LEAD_S ?? 15),
        bridgedS: Number(env.BENCH_MIX_BRIDGED_S ?? 300),
        idle,
      });
      log(`bridged mix: ${JSON.stringify({ ...out.mix, samples: undefined })}`);
    } finally {
      await cast.close();
    }
  }
  return out;
}
