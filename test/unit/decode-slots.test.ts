// Hold music decodes take turns: at most `atOnce` run, `maxWaiting` more wait and run in order as slots free
// up, and anything past that is turned away at once without running.
import { describe, expect, it } from 'vitest';
import { DecodeSlots } from '../../settings-service/decode-slots.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('DecodeSlots', () => {
  it('runs two at once, queues two, turns the fifth away, and runs the queued in order as slots free', async () => {
    const slots = new DecodeSlots(2, 2);
    const started: number[] = [];
    const gates = [0, 1, 2, 3, 4].map(gate);
    const runs = gates.map((g, i) => slots.run(async () => (started.push(i), await g.opened, i)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual([0, 1]);
    expect(await runs[4]).toBeUndefined();
    gates[1]!.open();
    expect(await runs[1]).toEqual({ value: 1 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(started).toEqual([0, 1, 2]);
    gates[0]!.open();
    gates[2]!.open();
    gates[3]!.open();
    expect(await Promise.all(runs.slice(0, 4))).toEqual([{ value: 0 }, { value: 1 }, { value: 2 }, { value: 3 }]);
    expect(started).toEqual([0, 1, 2, 3]);
    // Every slot is free again.
    expect(await slots.run(async () => 'again')).toEqual({ value: 'again' });
  });

  it('frees the slot when the work throws', async () => {
    const slots = new DecodeSlots(1, 0);
    await expect(slots.run(async () => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    expect(await slots.run(async () => 'next')).toEqual({ value: 'next' });
  });
});
