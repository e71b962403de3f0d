// The worker's metrics after a real transfer at the phones: the job process's observations reach the main
// process (through Redis) and its METRICS_PORT, where a scrape finds the accepted transfer under its agent id,
// the times it took (equal to what the timeline says), the kept call while the keeper carries it, and no phone
// number or room anywhere.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/rooms.ts';
import {
  at,
  DESTINATION_NUMBER,
  placeTransferCall,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
/** Fixed, as every port of the integration tests (one file runs at a time). */
const METRICS_PORT = 9464;
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'metrics', { METRICS_PORT: String(METRICS_PORT) });
  // The warm job process starts after the worker registers; on a busy 2-core machine that took 8-9 s, and a
  // first call that finds none waits for it past the inbound trunk's 8 s ringing (486). Give it the time.
  await new Promise((r) => setTimeout(r, 10_000));
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`, { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return response.text();
}

/** The value of one sample line (`name{labels} value`), undefined when absent. */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

/** Waits until a scrape shows `series` at `value`; returns that scrape. */
async function scrapeUntil(series: string, value: number, ms: number): Promise<string> {
  let text = '';
  await eventually(async () => sample((text = await scrape()), series) === value, ms, `${series} = ${value}`);
  return text;
}

describe("the worker's metrics after a real transfer", () => {
  it('count the accepted transfer and its times, the call and the kept call in progress, and name nobody', async () => {
    const before = await scrape();
    expect(sample(before, 'warm_transfer_calls_in_progress')).toBe(0);
    expect(before).not.toContain('warm_transfer_transfers_total{');

    call = await placeTransferCall(stack, 'metrics');
    const { caller, callee, from } = call;
    await caller.waitAnswered(20_000);
    await scrapeUntil('warm_transfer_calls_in_progress', 1, 5000);
    const hold = await timelineEntry(cast.worker, 'hold_started', 45_000);
    await callee.waitAnswered(20_000);
    // The open transfer is counted from the job's lease (read every 2.5 s).
    await scrapeUntil('warm_transfer_transfers_in_progress', 1, 8000);
    await timelineEntry(cast.worker, 'briefing_started', 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    await callee.press('1');
    expect(await timelineEntry(cast.worker, 'decision', 10_000)).toMatchObject({ choice: 'accept', source: 'keypad' });
    const bridged = await timelineEntry(cast.worker, 'bridged', 10_000);

    // Bridged: counted under the agent id (the worker's AGENT_NAME, with settings from the environment).
    let text = await scrapeUntil('warm_transfer_transfers_total{outcome="accepted",agent="warm-transfer-agent"}', 1, 5000);
    // The time on hold is the timeline's, from the music to the bridge; the answer, the timeline's too.
    expect(sample(text, 'warm_transfer_hold_seconds_count{outcome="accepted"}')).toBe(1);
    expect(sample(text, 'warm_transfer_hold_seconds_sum{outcome="accepted"}')).toBeCloseTo((at(bridged) - at(hold)) / 1000, 3);
    const dialing = await timelineEntry(cast.worker, 'dialing', 1000);
    const answered = await timelineEntry(cast.worker, 'answered', 1000);
    expect(sample(text, 'warm_transfer_answer_seconds_sum')).toBeCloseTo((at(answered) - at(dialing)) / 1000, 3);
    expect(sample(text, 'warm_transfer_briefing_seconds_count')).toBe(1);
    expect(sample(text, 'warm_transfer_decision_seconds_count{choice="accept",source="keypad"}')).toBe(1);

    // The keeper carries the bridged call once the job has handed it over.
    await timelineEntry(cast.worker, 'kept', 10_000);
    await scrapeUntil('warm_transfer_kept_calls', 1, 5000);

    await caller.hangup();
    expect((await callee.waitEnded(15_000)).hungUpBy).toBe('remote');
    expect(await timelineEntry(cast.worker, 'ended', 10_000)).toMatchObject({ outcome: 'accepted' });
    text = await scrapeUntil('warm_transfer_kept_calls', 0, 10_000);
    // The end of the bridged call is not a second transfer; no call was refused, nothing taken over.
    expect(sample(text, 'warm_transfer_transfers_total{outcome="accepted",agent="warm-transfer-agent"}')).toBe(1);
    expect(text.split('\n').filter((l) => l.startsWith('warm_transfer_transfers_total{'))).toHaveLength(1);
    expect(sample(text, 'warm_transfer_calls_refused_total{reason="max_calls"}')).toBe(0);
    expect(text).not.toContain('warm_transfer_takeovers_total{');
    // No caller or destination number, no room name, in any label.
    for (const personal of [from, from.replace('+', ''), DESTINATION_NUMBER, DESTINATION_NUMBER.replace('+', ''), 'call_', 'wt-']) {
      expect(text).not.toContain(personal);
    }
  });
});
