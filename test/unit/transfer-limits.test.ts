// Transfer limits against the real Redis (the unit project's, a prefix of the test's own): at most N transfers
// begun per call and at most M running at once per organization, atomically across processes, with an
// organization's places leased so a crashed worker's count runs out; and the tools refusing past them (the
// caller on the keypad is told; nothing is put on hold, and no record is opened).
import { randomUUID } from 'node:crypto';
import { initializeLogger } from '@livekit/agents';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitForCaller } from '../../prompts/limits.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { ORGANIZATION_LEASE_MS, TransferLimits } from '../../agent/capacity/transfer-limits.ts';
import { CALLER_IDENTITY, fakeCall, fakeRoom } from '../support/fakes/index.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

const limits = (perCall: number, perOrganization?: number, now?: () => number) =>
  new TransferLimits({ redis: records.redis, prefix: records.prefix, perCall, perOrganization, ...(now ? { now } : {}) });

describe('transfers per call', () => {
  it('grants exactly N per call, however many processes ask at once, and a given-back one can be taken again', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 12 }), async (perCall, asks) => {
        const room = `call_${randomUUID()}`;
        const granted = await Promise.all(
          Array.from({ length: asks }, (_, i) =>
            limits(perCall)
              .takeForCall(room)
              .then((ok) => (ok ? i : -1)),
          ),
        );
        expect(granted.filter((i) => i >= 0)).toHaveLength(Math.min(perCall, asks));
        if (asks >= perCall) {
          expect(await limits(perCall).takeForCall(room)).toBe(false);
          await limits(perCall).giveBackForCall(room);
          expect(await limits(perCall).takeForCall(room)).toBe(true);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('transfers per organization at once', () => {
  it('grants M places at once, frees one on release, and lets a carried-on transfer keep its place past M', async () => {
    const org = `org-${randomUUID()}`;
    const l = limits(3, 2);
    const slots = await Promise.all(['a', 'b', 'c', 'd'].map((id) => l.takeForOrganization(org, id)));
    expect(slots.filter((s) => s !== undefined)).toHaveLength(2);
    expect(await l.runningFor(org)).toBe(2);
    // A transfer taken over from a dead job is already running: it keeps a place even at the limit.
    const carried = await l.takeForOrganization(org, 'e', true);
    expect(carried).toBeDefined();
    expect(await l.runningFor(org)).toBe(3);
    await carried!.release();
    await slots.find((s) => s !== undefined)!.release();
    expect(await l.runningFor(org)).toBe(1);
    expect(await l.takeForOrganization(org, 'f')).toBeDefined();
    expect(await l.takeForOrganization(org, 'g')).toBeUndefined();
    // Another organization counts on its own.
    expect(await l.takeForOrganization(`org-${randomUUID()}`, 'h')).toBeDefined();
    for (const s of slots) await s?.release();
  });

  it('forgets the places of a worker that crashed (never released, never renewed) once their lease runs out', async () => {
    const org = `org-${randomUUID()}`;
    let t = Date.now();
    const clock = () => t;
    const crashed = limits(3, 1, clock);
    const slot = await crashed.takeForOrganization(org, 'dead-worker-transfer');
    expect(slot).toBeDefined();
    // Its renewals stop with it (a crash): the test stops them here, without releasing the place.
    t += ORGANIZATION_LEASE_MS + 1;
    const other = limits(3, 1, clock);
    expect(await other.runningFor(org)).toBe(0);
    const taken = await other.takeForOrganization(org, 'next');
    expect(taken).toBeDefined();
    await taken!.release();
    await slot!.release();
  });
});

describe('the tools past a limit', () => {
  async function tools(room: string, l: TransferLimits, organizationId?: string) {
    const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
      agentId: 'a',
      trunks: { pstnOutboundTrunkId: 'ST_pstn' },
      keypad: { '1': '+15125550000' },
    });
    const { tools: t, said } = fakeCall({
      // A server that is not there (a closed loopback port): each dial fails fast.
      room: fakeRoom(room, { participants: [CALLER_IDENTITY] }),
      settings,
      records: records.store,
      limits: l,
      ...(organizationId ? { organizationId } : {}),
    });
    return { t, said };
  }

  it('a caller who keeps pressing the key gets N transfers, then is told no more, with no record opened', async () => {
    const room = `call_${randomUUID()}`;
    const { t, said } = await tools(room, limits(2));
    expect(await t.keypadTransfer('1')).toBe('dial_failed');
    expect(await t.keypadTransfer('1')).toBe('dial_failed');
    expect(await t.keypadTransfer('1')).toBeUndefined();
    expect(said.at(-1)).toBe(limitForCaller('call_limit'));
    expect(await records.store.openFor(room)).toBeUndefined();
  });

  it('an organization running M transfers refuses the next, and the place is free again when a transfer ends', async () => {
    const org = `org-${randomUUID()}`;
    const l = limits(3, 1);
    const elsewhere = await l.takeForOrganization(org, 'another-call');
    const room = `call_${randomUUID()}`;
    const { t, said } = await tools(room, l, org);
    expect(await t.keypadTransfer('1')).toBeUndefined();
    expect(said.at(-1)).toBe(limitForCaller('organization_limit'));
    expect(await records.store.openFor(room)).toBeUndefined();
    await elsewhere!.release();
    expect(await t.keypadTransfer('1')).toBe('dial_failed');
    // Its place was freed at its end; and the refused attempt did not use up one of the call's three.
    expect(await l.runningFor(org)).toBe(0);
    expect(await t.keypadTransfer('1')).toBe('dial_failed');
    expect(await t.keypadTransfer('1')).toBe('dial_failed');
    expect(await t.keypadTransfer('1')).toBeUndefined();
  });
});
