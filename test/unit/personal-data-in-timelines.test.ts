// Personal data only under lk.pii.* keys: every timeline entry and log line of a real transfer (a keypad rule
// whose REFER is refused with a SIP error quoting the numbers, then a chain of a phone number, an extension
// and a SIP address whose dials fail with errors quoting the caller's room) carries the caller's number, the
// destinations and the error texts only there; the plain fields keep the kind, a masked form and the status.
import { initializeLogger } from '@livekit/agents';
import { SipCallError } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testRecords } from '../support/records.ts';
import { personalDataOutsidePii } from '../support/pii.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { ReferApi } from '../../agent/transfer/tools/refer.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import { fakeCall, fakeRoom, fakeRoomApi } from '../support/fakes/index.ts';

const CALLER = '+15125550142';
const CALLER_ROOM = `call_${CALLER}_Xy7Qp`;
const CALLER_IDENTITY = `sip_${CALLER}`;
const PHONE = '+15125550000';
const EXTENSION = 'ext:2087';
const SIP = 'sip:maria.lopez@pbx.example.com';
/** What must not appear in a plain field, in whatever format it is written. */
const PERSONAL = [CALLER, PHONE, '2087', 'maria.lopez'];

beforeAll(() => initializeLogger({ pretty: false, level: 'debug' }));
const records = testRecords();
afterAll(() => records.cleanup());

/** Runs a keypad transfer and returns the timeline entries emitted and every JSON line written to stdout. */
async function keypadTransfer(): Promise<{ entries: TimelineEntry[]; lines: Array<Record<string, unknown>>; outcome: unknown }> {
  const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'a',
    trunks: { inbound: { acceptsRefer: true }, pstnOutboundTrunkId: 'ST_pstn', pbx: { outboundTrunkId: 'ST_pbx' } },
    keypad: { '1': { destination: PHONE, fallbacks: [EXTENSION, SIP] } },
  });
  // The trunk refuses the REFER with a SIP error whose text quotes both numbers, as servers' texts do.
  const refer: ReferApi = {
    async transfer(_room, identity, referTo) {
      throw new SipCallError('SipCallError', 'refer failed', 403, 'permission_denied', {
        sip_status_code: '403',
        sip_status: `Forbidden ${referTo}`,
        to: referTo,
        from: identity,
      });
    },
    trunkAddress: async () => ({ address: 'pbx.example.com', transport: undefined }),
  };
  // Every consultation room refused, with a text that names the caller's room (and so the caller's number).
  const api = fakeRoomApi(([method]) => {
    if (method === 'createRoom') throw new Error(`room limit reached while ${CALLER_ROOM} holds`);
  });
  const entries: TimelineEntry[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
  try {
    const { tools } = fakeCall({
      api,
      room: fakeRoom(CALLER_ROOM),
      callerIdentity: CALLER_IDENTITY,
      callerNumber: CALLER,
      settings,
      records: records.callStore(),
      onTimeline: (entry) => entries.push(entry),
      refer,
    });
    const outcome = await tools.keypadTransfer('1');
    return { entries, lines, outcome };
  } finally {
    write.mockRestore();
  }
}

describe('personal data in a transfer', () => {
  it("stays under lk.pii.* keys in every timeline entry and log line of a refused REFER and a chain's failed dials", async () => {
    const { entries, lines, outcome } = await keypadTransfer();
    expect(outcome).toBe('dial_failed');
    // The walk covers the REFER, each destination of the chain and the errors, and their personal data is kept.
    const types = entries.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['started', 'referring', 'refer_failed', 'hold_started', 'error', 'ended']));
    expect(entries.filter((e) => e.type === 'started' && e.method !== 'refer').map((e) => e['lk.pii.destination'])).toEqual([PHONE, EXTENSION, SIP]);
    expect(entries.find((e) => e.type === 'refer_failed')).toMatchObject({ sipStatus: 403, sipReason: 'Forbidden', 'lk.pii.refer_to': `tel:${PHONE}` });
    expect(String(entries.find((e) => e.type === 'error')?.['lk.pii.error'])).toContain(CALLER_ROOM);
    expect(lines.filter((l) => typeof l.transferId === 'string')).toHaveLength(entries.length);
    expect(lines.some((l) => l.msg === 'SIP REFER failed: connecting the caller by dialling instead')).toBe(true);

    expect(personalDataOutsidePii([...entries, ...lines], PERSONAL)).toEqual([]);
  });
});
