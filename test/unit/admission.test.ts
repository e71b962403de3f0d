import { describe, expect, it } from 'vitest';
import { Admission, reportedLoad } from '../../agent/capacity/admission.ts';

/** A job request as the framework hands it to requestFunc, recording the answer given. */
function request(id: string, metadata = '') {
  const answer: { given?: 'accepted' | 'rejected' } = {};
  return {
    answer,
    id,
    job: { id, metadata } as never,
    accept: async () => void (answer.given = 'accepted'),
    reject: async () => void (answer.given = 'rejected'),
  };
}

function admission(maxCalls: number, running: string[] = []) {
  let now = 0;
  const refused: Array<[string, number]> = [];
  const gate = new Admission({
    maxCalls,
    running: () => running,
    acceptedForMs: 40_000,
    now: () => now,
    onRefused: (id, calls) => refused.push([id, calls]),
  });
  return { gate, running, refused, advance: (ms: number) => (now += ms) };
}

describe('admission', () => {
  it('takes a burst up to the limit at once and refuses the rest, before any of them runs', async () => {
    const { gate, refused } = admission(2);
    const burst = ['a', 'b', 'c', 'd'].map((id) => request(id));
    await Promise.all(burst.map((r) => gate.request(r)));
    expect(burst.map((r) => r.answer.given)).toEqual(['accepted', 'accepted', 'rejected', 'rejected']);
    expect(refused).toEqual([
      ['c', 2],
      ['d', 2],
    ]);
    expect(gate.count()).toBe(2);
  });

  it('counts a job once whether it is still starting or already running, and frees its place when it ends', async () => {
    const { gate, running } = admission(2);
    await gate.request(request('a'));
    running.push('a'); // the job has its process now
    expect(gate.count()).toBe(1);
    await gate.request(request('b'));
    expect(gate.count()).toBe(2);
    running.splice(0, 1); // a's caller hung up: its job ended
    running.push('b');
    expect(gate.count()).toBe(1);
    const c = request('c');
    await gate.request(c);
    expect(c.answer.given).toBe('accepted');
  });

  it('counts jobs the worker was already running (another path started them)', async () => {
    const { gate } = admission(2, ['x', 'y']);
    const r = request('z');
    await gate.request(r);
    expect(r.answer.given).toBe('rejected');
  });

  it('stops counting an accepted job that never started once its time is up', async () => {
    const { gate, advance } = admission(1);
    await gate.request(request('a'));
    advance(39_000);
    const early = request('b');
    await gate.request(early);
    expect(early.answer.given).toBe('rejected');
    advance(2000);
    const late = request('c');
    await gate.request(late);
    expect(late.answer.given).toBe('accepted');
  });

  it('always takes a takeover, full or not: the dead job freed its place, and people wait on it', async () => {
    const { gate, refused } = admission(1, ['busy']);
    const takeover = request('t', JSON.stringify({ agentId: 'main', resume: { id: 'tr-1', fence: 3, mode: 'resume' } }));
    await gate.request(takeover);
    expect(takeover.answer.given).toBe('accepted');
    // Metadata that only looks like one is an ordinary call.
    const fake = request('f', JSON.stringify({ resume: { id: 'tr-1', mode: 'resume' } }));
    await gate.request(fake);
    expect(fake.answer.given).toBe('rejected');
    expect(refused.map(([id]) => id)).toEqual(['f']);
  });
});

describe('the load reported', () => {
  it('is the highest of the CPU share and the shares of calls and transfers carried, capped below 1', () => {
    expect(
      reportedLoad(
        0.2,
        [
          [0, 2],
          [0, 8],
        ],
        0.95,
      ),
    ).toBe(0.2);
    expect(
      reportedLoad(
        0.2,
        [
          [1, 2],
          [0, 8],
        ],
        0.95,
      ),
    ).toBe(0.5);
    expect(
      reportedLoad(
        0.2,
        [
          [0, 2],
          [4, 8],
        ],
        0.95,
      ),
    ).toBe(0.5);
    expect(
      reportedLoad(
        0.7,
        [
          [1, 2],
          [4, 8],
        ],
        0.95,
      ),
    ).toBe(0.7);
    expect(
      reportedLoad(
        0.1,
        [
          [2, 2],
          [0, 8],
        ],
        0.95,
      ),
    ).toBe(0.95);
    expect(
      reportedLoad(
        0.1,
        [
          [0, 2],
          [20, 8],
        ],
        0.95,
      ),
    ).toBe(0.95);
  });
});
