// A burst of calls larger than the worker takes (WORKER_MAX_CALLS) reaches it faster than its load report
// (every 2.5 s) can say it is full. The worker answers each job request by counting its calls: the one it
// can take is greeted, the other is refused at once and, with no other worker, hears busy at the inbound
// trunk's ringing timeout. A caller who hangs up frees the place at once, not when the server closes the room.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCaller, type Phone } from '../../phones/index.ts';
import { startWorker, type RunningWorker } from '../../stack/worker-process.ts';
import { AGENT_NUMBER, callerNumber } from '../support/calls.ts';
import { eventually } from '../support/rooms.ts';

const stack = inject('stack');
/** sip-trunk/inbound.json's ringingTimeout. */
const RINGING_TIMEOUT_MS = 8000;

let worker: RunningWorker;
let phones: Phone[] = [];

beforeAll(async () => {
  worker = await startWorker(stack, 'burst', { WORKER_MAX_CALLS: '1', AGENT_GREETING: 'Hello, thanks for calling. How can I help?' });
});
afterEach(async () => {
  await Promise.all(phones.map((phone) => phone.close()));
  phones = [];
});
afterAll(async () => {
  await worker?.stop();
});

const dial = async (name: string) => {
  const phone = await startCaller({ to: AGENT_NUMBER, from: callerNumber(), audio: { silence: true }, name });
  phones.push(phone);
  return phone;
};

/** The first of answered or ended at this phone. */
const outcome = async (phone: Phone, ms: number) => {
  const first = await phone.waitForEvent(['answered', 'exit'], ms);
  return first.type === 'answered' ? { answered: first.at } : { ended: await phone.waitEnded(1000) };
};

describe('a burst of calls past WORKER_MAX_CALLS', { timeout: 120_000 }, () => {
  it('greets the call the worker can take, refuses the other with busy, and takes the next once the first hangs up', async () => {
    const dialled = Date.now();
    const [a, b] = await Promise.all([dial('burst-a'), dial('burst-b')]);
    const results = await Promise.all([outcome(a, RINGING_TIMEOUT_MS + 10_000), outcome(b, RINGING_TIMEOUT_MS + 10_000)]);
    const answeredIndex = results.findIndex((r) => 'answered' in r);
    expect(answeredIndex, JSON.stringify(results)).toBeGreaterThanOrEqual(0);
    const taken = [a, b][answeredIndex]!;
    const refused = results[1 - answeredIndex]!;

    // The refused call rang and was answered 486 Busy Here at the ringing timeout, never answered.
    expect(refused, JSON.stringify(results)).toHaveProperty('ended');
    const end = (refused as { ended: Awaited<ReturnType<Phone['waitEnded']>> }).ended;
    expect(end).toMatchObject({ hungUpBy: 'remote', reason: 'rejected', status: 486 });
    console.log(JSON.stringify({ refusedBusyAfterMs: end.at - dialled }));
    expect(end.at - dialled).toBeLessThan(RINGING_TIMEOUT_MS + 3000);
    // The worker refused it itself, at the request, with the call it had counted.
    const refusals = worker
      .log()
      .split('\n')
      .filter((line) => line.includes('"event":"call_refused"'));
    expect(refusals).toHaveLength(1);
    expect(JSON.parse(refusals[0]!)).toMatchObject({ calls: 1, maxCalls: 1 });

    // The call it took is greeted (and was not slowed by the other).
    const answeredAt = (results[answeredIndex] as { answered: number }).answered;
    const greetedAt = await taken.waitForAudio({ minRms: 300, withinMs: 20_000, after: answeredAt });
    expect(greetedAt).toBeGreaterThanOrEqual(answeredAt);

    // Its caller hangs up: the job ends at once, and the worker takes the next call.
    await taken.hangup();
    const hungUp = Date.now();
    await eventually(() => /"event":"event_loop_delay"/.test(worker.log()), 10_000, "the hung-up call's job to end");
    console.log(JSON.stringify({ jobEndedAfterHangupMs: Date.now() - hungUp }));
    const next = await dial('burst-c');
    const answered = await next.waitAnswered(RINGING_TIMEOUT_MS + 2000);
    expect(await next.waitForAudio({ minRms: 300, withinMs: 20_000, after: answered.at })).toBeGreaterThanOrEqual(answered.at);
    expect(
      worker
        .log()
        .split('\n')
        .filter((line) => line.includes('"event":"call_refused"')),
    ).toHaveLength(1);
  });
});
