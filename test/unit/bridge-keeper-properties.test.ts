// Properties of the keeper (agent/keeper/keeper.ts) over any order of what can happen to a kept call: either side
// hanging up, a room closed under the bridge, the forwarder losing the bridge or dying, another keeper taking the
// record over (this worker taken for dead), the record ended by someone else. Whatever the order:
//   - a call that is still this keeper's when a side hangs up (or a room closes) is ended whole: both rooms
//     deleted (nobody left on a line), the record gone, one `ended` entry;
//   - rooms are deleted only after a hang-up or a closed room, and then both; a call that became another's with
//     nobody hanging up is left untouched;
//   - forwarder trouble alone ends nothing: the call is still kept, under the same fence;
//   - the keeper never ends a call twice, and keeps nothing once it ended or lost it.
// Against the real Redis, with the forwarder and RoomService the test's (as in bridge-keeper.test.ts).
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BridgeKeeper } from '../../agent/keeper/keeper.ts';
import { DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import { bridgedRecord, CALLER, FakeForwarder } from '../support/keeper.ts';
import { testRecords } from '../support/records.ts';

const records = testRecords();
afterAll(() => records.cleanup());

type Happening = 'caller_left' | 'person_left' | 'room_closed' | 'lost' | 'crash' | 'taken_by_another' | 'ended_by_another';
const happening = fc.constantFrom<Happening>('caller_left', 'person_left', 'room_closed', 'lost', 'crash', 'taken_by_another', 'ended_by_another');
/** The events that end the call when this keeper sees them while it is still its own. */
const ENDS: ReadonlySet<Happening> = new Set(['caller_left', 'person_left', 'room_closed']);

describe('a kept call, whatever happens to it in whatever order', () => {
  it('is ended whole by this keeper, or left untouched when it was no longer its own', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(happening, fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 6 }), async (script) => {
        const store = records.callStore();
        const created = await store.create(bridgedRecord('worker-a/101'));
        await store.write(created.id, created.fence, { handoff: { askedAt: Date.now() }, bridgedAt: Date.now() });
        const asked = (await store.read(created.id))!;
        const deleted: string[] = [];
        const timeline: TimelineEntry[] = [];
        const forwarders: FakeForwarder[] = [];
        const keeper = new BridgeKeeper({
          store,
          workerKey: 'worker-a',
          api: {
            deleteRoom: async (room) => void deleted.push(room),
            removeParticipant: async () => undefined,
            participantIdentities: async (room) => (deleted.includes(room) ? 'no_room' : [CALLER, DESTINATION_IDENTITY]),
          },
          url: 'ws://127.0.0.1:7880',
          token: async () => 'token',
          startForwarder: () => {
            const forwarder = new FakeForwarder();
            forwarders.push(forwarder);
            return forwarder;
          },
          maxBridgedMs: 3_600_000,
          onTimeline: (_record, entry) => void timeline.push(entry),
          log: () => undefined,
        });
        keeper.ask(asked);
        await vi.waitFor(() => expect(keeper.kept.has(asked.id)).toBe(true), { timeout: 3000, interval: 5 });
        const fence = keeper.kept.get(asked.id)!.fence;

        let mine = true;
        let endedByUs = false;
        let hangUpSeen = false;
        for (const [what, pauseMs] of script) {
          const forwarder = forwarders.at(-1)!;
          if (what === 'caller_left') forwarder.emit('left', asked.id, asked.callerRoom, CALLER);
          if (what === 'person_left') forwarder.emit('left', asked.id, asked.consultationRoom!, DESTINATION_IDENTITY);
          if (what === 'room_closed') forwarder.emit('room_closed', asked.id, asked.consultationRoom!);
          if (what === 'lost') forwarder.emit('lost', asked.id, 'lost');
          if (what === 'crash') {
            forwarder.running = false;
            forwarder.emit('exit', null, 'SIGKILL');
          }
          if (what === 'taken_by_another' && mine && !endedByUs) {
            // Another keeper claims it: only counted as "not ours" if our end has not removed the record yet.
            if ((await store.claim(asked.id, 'keeper:worker-b', true)) !== undefined) mine = false;
          }
          if (what === 'ended_by_another' && mine && !endedByUs) {
            const current = await store.read(asked.id);
            if (current) {
              await store.remove(asked.id, current.fence, asked.callerRoom).catch(() => undefined);
              mine = false;
            }
          }
          if (ENDS.has(what)) hangUpSeen = true;
          if (ENDS.has(what) && mine) endedByUs = true;
          await new Promise((r) => setTimeout(r, pauseMs));
        }
        // Let the renewals notice a claim, and any end finish.
        await new Promise((r) => setTimeout(r, 700));
        await vi.waitFor(() => expect(keeper.kept.size).toBe(endedByUs || !mine ? 0 : 1), { timeout: 3000, interval: 10 });

        const ended = timeline.filter((e) => e.type === 'ended');
        expect(ended.length).toBeLessThanOrEqual(1);
        if (deleted.length > 0) {
          expect(hangUpSeen).toBe(true);
          expect(deleted.sort()).toEqual([asked.callerRoom, asked.consultationRoom].sort());
        }
        if (endedByUs) {
          expect(ended).toHaveLength(1);
          expect(deleted).toHaveLength(2);
          expect(await store.read(asked.id)).toBeUndefined();
        }
        if (!hangUpSeen && !mine) {
          expect(deleted).toEqual([]);
          expect(ended).toEqual([]);
        }
        if (!endedByUs && mine) {
          // Still its own (only forwarder trouble): still kept, under the same fence.
          expect(keeper.kept.get(asked.id)?.fence).toBe(fence);
          expect(deleted).toEqual([]);
        }
        await keeper.close();
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
