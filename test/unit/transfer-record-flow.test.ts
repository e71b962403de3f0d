// The tools write the transfer record in the real Redis at every transition, and it is the record, not a
// flag in one process, that says whether a call already has a transfer open: a second request for the same
// call is refused even from another tools instance (another job process). Nothing is left once it ends.
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { TransferRecordStore, type NewRecord, type RecordPatch, type TransferRecord } from '../../agent/transfer/record/store.ts';
import { TransferRecordHandle } from '../../agent/transfer/record/handle.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import { CALLER_IDENTITY, fakeCall, fakeRoom, type FakeCallOptions } from '../support/fakes/index.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

/** The real store, with every write it was asked for kept in order. */
class RecordingStore extends TransferRecordStore {
  readonly writes: RecordPatch[] = [];
  override async write(id: string, fence: number, patch: RecordPatch): Promise<number> {
    this.writes.push(patch);
    return super.write(id, fence, patch);
  }
}

async function tools(store: TransferRecordStore, extra: Partial<FakeCallOptions> = {}) {
  const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'a',
    trunks: { pstnOutboundTrunkId: 'ST_pstn' },
    keypad: { '1': '+15125550000', '2': '+15125550001' },
  });
  // A server that is not there (a closed loopback port): the dial fails fast.
  return fakeCall({ room: fakeRoom('call-record-flow', { participants: [CALLER_IDENTITY] }), settings, records: store, ...extra }).tools;
}

describe('the transfer record', () => {
  it('is written at every transition, refuses a second request for the call, and is gone at the end', async () => {
    const store = new RecordingStore({ redis: records.redis, prefix: records.prefix });
    const [first, otherProcess] = await Promise.all([tools(store), tools(new TransferRecordStore({ redis: records.redis, prefix: records.prefix }))]);
    const running = first.keypadTransfer('1');
    // While it runs, the call's slot is taken: the same tools and another process's tools start nothing.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.openFor('call-record-flow')).toBeDefined();
    expect(await first.keypadTransfer('2')).toBeUndefined();
    expect(await otherProcess.keypadTransfer('2')).toBeUndefined();
    expect(await running).toBe('dial_failed');

    const phases = store.writes.flatMap((w) => (w.phase ? [w.phase.kind] : []));
    expect(phases).toContain('dialing');
    expect(phases.at(-1)).toBe('ended');
    // How it ended is the ended phase's outcome (what the caller was told); nothing else repeats it.
    expect(store.writes).toContainEqual(expect.objectContaining({ phase: { kind: 'ended', outcome: 'dial_failed' }, index: 0 }));
    expect(store.writes).toContainEqual({ topology: 'bridge' });
    expect(store.writes.some((w) => 'callerTold' in w || 'outcome' in w || 'bridgedUntil' in w)).toBe(false);
    expect(store.writes.find((w) => w.consultationRoom)?.consultationRoom).toMatch(/^wt-/);
    // Over: no record, lease or slot left, and the call may transfer again.
    expect(await records.redis.keys(`${records.prefix}*`)).toEqual([]);
    expect(await otherProcess.keypadTransfer('2')).toBe('dial_failed');
  });
});

describe('one id per transfer', () => {
  it('names the record, every timeline line and the carried-load lease', async () => {
    const store = new RecordingStore({ redis: records.redis, prefix: records.prefix });
    const opened: string[] = [];
    const origCreate = store.create.bind(store);
    store.create = async (fields) => {
      opened.push(fields.id);
      return origCreate(fields);
    };
    const timeline: string[] = [];
    const carried: string[] = [];
    const tool = await tools(store, {
      room: fakeRoom('call-one-id', { participants: [CALLER_IDENTITY] }),
      onTimeline: (entry) => void timeline.push(entry.transferId),
      carry: (id) => {
        carried.push(id);
        return { release: async () => undefined };
      },
    });
    expect(await tool.keypadTransfer('1')).toBe('dial_failed');
    expect(opened).toHaveLength(1);
    expect(timeline.length).toBeGreaterThan(2);
    expect(new Set(timeline)).toEqual(new Set(opened));
    expect(carried).toEqual(opened);
  });
});

describe('write-ahead', () => {
  it('the record names the consultation room, the phase and the hold before the consultation room is made', async () => {
    const order: string[] = [];
    /** The real store, each write taking a moment (a busy Redis): what waits for it shows. */
    class SlowWrites extends TransferRecordStore {
      override async write(id: string, fence: number, patch: RecordPatch): Promise<number> {
        await new Promise((resolve) => setTimeout(resolve, 30));
        const version = await super.write(id, fence, patch);
        order.push(`wrote ${Object.keys(patch).sort().join(',')}`);
        return version;
      }
    }
    const api: RoomApi = {
      createRoom: async (name) => void order.push(`createRoom ${name.startsWith('wt-') ? 'consultation' : name}`),
      deleteRoom: async () => undefined,
      removeParticipant: async () => undefined,
      moveParticipant: async () => undefined,
    };
    const tool = await tools(new SlowWrites({ redis: records.redis, prefix: records.prefix }), {
      api,
      room: fakeRoom('call-write-ahead', { participants: [CALLER_IDENTITY] }),
    });
    expect(await tool.keypadTransfer('1')).toBe('dial_failed');
    const created = order.indexOf('createRoom consultation');
    expect(created).toBeGreaterThan(0);
    const before = order.slice(0, created);
    expect(before).toContain('wrote consultationRoom,index,phase');
    expect(before).toContain('wrote topology');
    expect(before.filter((line) => line === 'wrote index,phase').length).toBeGreaterThan(0);
  });
});

describe('a transfer record created too slowly', () => {
  it('is given up (nobody put on hold) and removed when the late answer comes, so no watcher finds it unattended', async () => {
    /** The real store, answering the create only after the handle stopped waiting. */
    class SlowStore extends TransferRecordStore {
      override async create(fields: NewRecord): Promise<TransferRecord> {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return super.create(fields);
      }
    }
    const store = new SlowStore({ redis: records.redis, prefix: records.prefix });
    const callerRoom = `call_slow_${Date.now()}`;
    const problems: unknown[] = [];
    const opened = await TransferRecordHandle.open(
      store,
      {
        id: `slow-${Date.now()}`,
        owner: 'worker-a/1',
        agentId: 'a',
        callerRoom,
        callerIdentity: 'sip_caller',
        chain: ['+15125550000'],
        index: 0,
        phase: { kind: 'idle' },
        deadlineAt: Date.now() + 60_000,
      },
      (error) => void problems.push(error),
      undefined,
      100,
    );
    expect(opened).toEqual({ ok: false, reason: 'unavailable' });
    expect(String(problems[0])).toContain('creating the transfer record did not finish within 100 ms');
    // The create lands at 300 ms and is taken back at once: no record, and the call may ask again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect((await store.all()).filter((r) => r.callerRoom === callerRoom)).toEqual([]);
    expect(await store.openFor(callerRoom)).toBeUndefined();
  });
});
