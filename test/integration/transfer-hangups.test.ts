// Someone hangs up mid-transfer: the destination during the briefing, or the caller while the
// destination rings or is being briefed. Nobody is left on hold or on a dead line.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { rms } from '../../phones/index.ts';
import { roomService } from '../support/calls.ts';
import { eventually } from '../support/rooms.ts';
import {
  at,
  placeTransferCall,
  startTransferWorker,
  timelineEntries,
  timelineEntry,
  waitForSpeech,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;

beforeAll(async () => {
  cast = await startTransferWorker(stack, 'hangups');
});
afterEach(async () => {
  await call?.close();
  call = undefined;
});
afterAll(async () => {
  await cast?.close();
});

describe('hang-ups during a warm transfer', () => {
  it('destination hangs up during the briefing: the caller is back with the agent', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'destination-hangs-up');
    const { caller, callee } = call;
    await callee.waitAnswered(45_000);
    await timelineEntry(cast.worker, 'briefing_started', 10_000, started);
    await new Promise((r) => setTimeout(r, 1500));
    await callee.hangup();
    const ended = await timelineEntry(cast.worker, 'ended', 15_000, started);
    expect(ended.outcome).toBe('destination_hung_up');
    await waitForSpeech(caller, at(ended), 20_000);
  });

  it('caller hangs up on hold, before the destination rings: the destination is never connected', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'caller-hangs-up-on-hold', { ringMs: 4000 });
    const { caller, callee } = call;
    await timelineEntry(cast.worker, 'hold_started', 45_000, started);
    const hungUp = Date.now();
    await caller.hangup();
    expect(await timelineEntry(cast.worker, 'ended', 15_000, started)).toMatchObject({ outcome: 'caller_hung_up' });
    // Past the moment the phone would have answered: a dial left running would be connected by now.
    await new Promise((r) => setTimeout(r, 4000 + 2000 - (Date.now() - hungUp)));
    const seen = callee.events.map((e) => e.type);
    expect(seen).not.toContain('answered');
    expect(seen).not.toContain('confirmed');
    // Either the dial never left, or it was cancelled.
    if (seen.includes('invite-received')) expect(seen).toContain('cancel-received');
    expect(timelineEntries(cast.worker, 'briefing_started', started)).toEqual([]);
  });

  it('caller hangs up while the destination rings: the dial is cancelled', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'caller-hangs-up-ringing', { behaviour: 'no-answer' });
    const { caller, callee } = call;
    await callee.waitForEvent('invite-received', 45_000);
    await caller.hangup();
    await callee.waitForEvent('cancel-received', 15_000);
    expect(await timelineEntry(cast.worker, 'ended', 15_000, started)).toMatchObject({ outcome: 'caller_hung_up' });
  });

  it('caller hangs up as the dial leaves and the person answers at once: their line is closed, not left dead', async () => {
    // The race behind it: the job deletes the consultation room while the dial is on its way, and the person's
    // answer (or the worker's late join) makes the room again. How often this timing hits it depends on the
    // machine's load; test/unit/consultation-abandoned-dial.test.ts drives each side of it with fakes.
    const started = Date.now();
    call = await placeTransferCall(stack, 'caller-hangs-up-at-dial', { ringMs: 0 });
    const { caller, callee } = call;
    await timelineEntry(cast.worker, 'dialing', 45_000, started);
    await caller.hangup();
    expect(await timelineEntry(cast.worker, 'ended', 15_000, started)).toMatchObject({ outcome: 'caller_hung_up' });
    // Their phone was either never answered, or is hung up on within seconds of the answer. The answer may also
    // beat the hang-up to the worker (it rings for no time at all): then the briefing starts, and the person is
    // told the caller has gone before the line closes, as in the briefing case below.
    await new Promise((r) => setTimeout(r, 3000));
    if (callee.events.some((e) => e.type === 'answered')) expect((await callee.waitEnded(10_000)).hungUpBy).toBe('remote');
    const rooms = roomService(stack);
    let holding: string[] = [];
    await eventually(
      async () => {
        holding = [];
        for (const room of await rooms.listRooms()) {
          // This call's rooms only: a run killed earlier can leave rooms in the server's Redis.
          if (Number(room.creationTime) * 1000 < started - 1000) continue;
          if ((await rooms.listParticipants(room.name)).some((p) => p.identity === 'transfer-destination')) holding.push(room.name);
        }
        return holding.length === 0;
      },
      10_000,
      'no room left holding the person',
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${holding.join(', ')}`);
    });
  });

  it('caller hangs up during the briefing: the destination hears why before the line closes', async () => {
    const started = Date.now();
    call = await placeTransferCall(stack, 'caller-hangs-up-briefing');
    const { caller, callee } = call;
    await callee.waitAnswered(45_000);
    await timelineEntry(cast.worker, 'prompted', 30_000, started);
    await new Promise((r) => setTimeout(r, 1000));
    const hungUp = Date.now();
    await caller.hangup();

    const end = await callee.waitEnded(20_000);
    expect(end.hungUpBy).toBe('remote');
    // The notice: a few seconds of speech between the caller leaving and the destination's BYE.
    const heard = callee.received.chunks.filter((c) => c.at > hungUp && c.at < end.at && rms(c.samples) > 300);
    expect(heard.length * 20).toBeGreaterThan(1500);
    expect(await timelineEntry(cast.worker, 'ended', 10_000, started)).toMatchObject({ outcome: 'caller_hung_up' });
  });
});
