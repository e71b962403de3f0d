// Every way a call reaches a dial goes through authoriseDial, and a refusal there ends like a failed dial:
// nothing dialled (no consultation room, no REFER), a `refused` timeline entry with the destination under an
// `lk.pii.*` key, the caller off hold and told. Keypad rules (plain, with fallbacks, screened, by REFER), and
// a takeover whose record cannot be read back, without a server (a closed loopback port). The takeover of a
// record tampered in Redis and the model's transfers run at the phones (takeover-destinations.test.ts).
import { randomUUID } from 'node:crypto';
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callerMessage } from '../../prompts/outcomes.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { ReferApi } from '../../agent/transfer/tools/refer.ts';
import type { NewRecord } from '../../agent/transfer/record/store.ts';
import { parseSipHostPolicy, type SipHostPolicy } from '../../agent/transfer/dial/sip-host.ts';
import { fakeCall, fakeRoomApi } from '../support/fakes/index.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

async function call(keypad: Record<string, unknown>, opts: { acceptsRefer?: boolean; sipHosts?: SipHostPolicy } = {}) {
  const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'a',
    trunks: { inbound: { acceptsRefer: opts.acceptsRefer ?? false }, pstnOutboundTrunkId: 'ST_pstn', pbx: { outboundTrunkId: 'ST_pbx' } },
    keypad,
  });
  const apiCalls: string[] = [];
  const refers: string[] = [];
  const refer: ReferApi = {
    transfer: async (_room, _identity, referTo) => void refers.push(referTo),
    trunkAddress: async () => ({ address: '127.0.0.1:5090', transport: 'udp' }),
  };
  const store = records.callStore();
  const created: NewRecord[] = [];
  const create = store.create.bind(store);
  store.create = (fields) => (created.push(fields), create(fields));
  const { tools, said, timeline } = fakeCall({
    api: fakeRoomApi(([method, name]) => void (method === 'createRoom' && apiCalls.push(`createRoom ${name}`))),
    settings,
    records: store,
    refer,
    ...(opts.sipHosts ? { sipHosts: opts.sipHosts } : {}),
  });
  const refused = () => timeline.filter((e) => e.type === 'refused');
  return { tools, said, apiCalls, refers, timeline, refused, created, store };
}

function hosts(text: string): SipHostPolicy {
  const parsed = parseSipHostPolicy(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

describe('a keypad rule whose SIP address is on a restricted host', () => {
  it('by REFER: no REFER is sent, nothing is dialled, and the caller is told', async () => {
    const c = await call({ '1': 'sip:alice@10.0.0.5' }, { acceptsRefer: true });
    expect(await c.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(c.refers).toEqual([]);
    expect(c.apiCalls).toEqual([]);
    // Refused for the REFER, then for the dial the caller would otherwise be connected by.
    expect(c.refused()).toEqual([
      expect.objectContaining({ refusal: 'sip_host', 'lk.pii.destination': 'sip:alice@10.0.0.5', 'lk.pii.address': '10.0.0.5' }),
      expect.objectContaining({ refusal: 'sip_host', 'lk.pii.destination': 'sip:alice@10.0.0.5' }),
    ]);
    expect(c.said).toEqual([callerMessage('dial_failed')]);
  });

  it('plain, with fallbacks: each is refused at its dial in turn, and the caller is told once', async () => {
    const c = await call({ '1': { destination: 'sip:alice@192.168.1.10', fallbacks: ['sip:bob@[fe80::1]', 'sip:carol@localhost'] } });
    expect(await c.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(c.apiCalls).toEqual([]);
    expect(c.refused().map((e) => e['lk.pii.destination'])).toEqual(['sip:alice@192.168.1.10', 'sip:bob@[fe80::1]', 'sip:carol@localhost']);
    expect(c.said.at(-1)).toBe(callerMessage('dial_failed'));
    expect(c.timeline.filter((e) => e.type === 'dialing')).toEqual([]);
  });

  it('screened: refused at the dial unless the operator lists the host', async () => {
    const rule = { '2': { destination: 'sip:sales@127.0.0.1:5095', label: 'sales', warm: true } };
    const refused = await call(rule);
    expect(await refused.tools.keypadTransfer('2')).toBe('dial_failed');
    expect(refused.apiCalls).toEqual([]);
    expect(refused.refused()).toEqual([expect.objectContaining({ refusal: 'sip_host', 'lk.pii.destination': 'sip:sales@127.0.0.1:5095' })]);

    // Listed: past the check, to the dial itself (which meets no server here).
    const listed = await call(rule, { sipHosts: hosts('127.0.0.1') });
    await listed.tools.keypadTransfer('2');
    expect(listed.refused()).toEqual([]);
    expect(listed.apiCalls).toEqual([expect.stringMatching(/^createRoom wt-/)]);
  });
});

describe('a transfer record', () => {
  it('holds canonical destinations', async () => {
    const c = await call({ '1': { destination: 'ext:2001', fallbacks: ['(512) 555-0000', 'sip:Alice@PBX.example.com;transport=tcp'] } });
    await c.tools.keypadTransfer('1');
    expect(c.created.map((r) => r.chain)).toEqual([['ext:2001', '+15125550000', 'sip:Alice@pbx.example.com;transport=tcp']]);
  });

  it('whose destinations cannot be read back ends the transfer when taken over: the caller told, the record closed', async () => {
    const c = await call({ '1': 'ext:2001' });
    const stored = await c.store.create({
      id: randomUUID(),
      owner: 'dead-worker/1',
      agentId: 'a',
      callerRoom: 'call-room',
      callerIdentity: 'sip_caller',
      chain: ['the sales desk'],
      index: 0,
      phase: { kind: 'briefing', prompted: true, reprompted: false },
      consultationRoom: 'wt-gone',
      deadlineAt: Date.now() + 60_000,
      request: { reason: 'A caller asked for sales.', brief: true },
    });
    const fence = await c.store.claim(stored.id, 'watcher:test', true);
    expect(fence).toBeDefined();
    expect(await c.tools.resume({ id: stored.id, fence: fence!, mode: 'resume' })).toBe('interrupted');
    expect(c.said).toEqual([callerMessage('interrupted')]);
    expect(c.apiCalls).toEqual([]);
    expect(await c.store.read(stored.id)).toBeUndefined();
  });
});
