// How the keeper watches the calls the server carries (Cloud) for a hang-up (agent/keeper/presence.ts): one
// ListRooms for all of them per poll, and a look into a call (ListParticipants) only when its room's count
// changed, the room is gone, the counts could not be had, or its last look is FULL_LOOK_MS old.
import { describe, expect, it } from 'vitest';
import { FULL_LOOK_MS, PresenceWatch } from '../../agent/keeper/presence.ts';

function world(rooms: Record<string, number>) {
  const counts = new Map(Object.entries(rooms));
  const calls = { listRooms: 0, looked: [] as string[] };
  let failing = false;
  let clock = 1_000_000;
  const api = {
    participantCounts: async (names: string[]) => {
      calls.listRooms++;
      if (failing) throw new Error('rate limited');
      return new Map(names.filter((n) => counts.has(n)).map((n) => [n, counts.get(n)!]));
    },
  };
  const watch = new PresenceWatch(api, () => clock);
  const add = (room: string) => watch.add(`t-${room}`, room, async () => void calls.looked.push(room));
  return {
    watch,
    calls,
    add,
    counts,
    fail: (on: boolean) => (failing = on),
    advance: (ms: number) => (clock += ms),
    /** The rooms looked into by the next poll. */
    poll: async () => {
      calls.looked = [];
      await watch.poll();
      return [...calls.looked].sort();
    },
  };
}

describe('kept calls the server carries, watched for a hang-up', () => {
  it('asks for every room in one ListRooms, and looks into a call only when its count changed', async () => {
    const w = world({ a: 2, b: 2, c: 2 });
    for (const room of ['a', 'b', 'c']) w.add(room);
    expect(await w.poll()).toEqual(['a', 'b', 'c']); // the first poll learns every count by looking
    expect(w.calls.listRooms).toBe(1);
    for (let i = 0; i < 5; i++) expect(await w.poll()).toEqual([]);
    expect(w.calls.listRooms).toBe(6);
    w.counts.set('b', 1); // someone left b
    expect(await w.poll()).toEqual(['b']);
    expect(await w.poll()).toEqual([]);
    w.watch.close();
  });

  it('looks into a call whose room is gone', async () => {
    const w = world({ a: 2, b: 2 });
    w.add('a');
    w.add('b');
    await w.poll();
    w.counts.delete('a');
    expect(await w.poll()).toEqual(['a']);
    w.watch.close();
  });

  it('looks into every call when the counts cannot be had, and carries on with counts once they can', async () => {
    const w = world({ a: 2, b: 2 });
    w.add('a');
    w.add('b');
    await w.poll();
    w.fail(true);
    expect(await w.poll()).toEqual(['a', 'b']);
    expect(await w.poll()).toEqual(['a', 'b']);
    w.fail(false);
    expect(await w.poll()).toEqual(['a', 'b']); // the counts are learnt again
    expect(await w.poll()).toEqual([]);
    w.watch.close();
  });

  it('looks into each call every FULL_LOOK_MS even when its count stays (a hang-up and a recorder joining in one poll)', async () => {
    const w = world({ a: 2 });
    w.add('a');
    await w.poll();
    w.advance(FULL_LOOK_MS - 1);
    expect(await w.poll()).toEqual([]);
    w.advance(1);
    expect(await w.poll()).toEqual(['a']);
    w.watch.close();
  });

  it('without ListRooms counts, looks into every call at each poll', async () => {
    const looked: string[] = [];
    const watch = new PresenceWatch({});
    watch.add('t1', 'a', async () => void looked.push('a'));
    await watch.poll();
    await watch.poll();
    expect(looked).toEqual(['a', 'a']);
    watch.close();
  });

  it('stops asking once no call is watched', async () => {
    const w = world({ a: 2 });
    w.add('a');
    await w.poll();
    w.watch.remove('t-a');
    const before = w.calls.listRooms;
    await w.poll();
    expect(w.calls.listRooms).toBe(before);
    expect(w.calls.looked).toEqual([]);
  });
});
