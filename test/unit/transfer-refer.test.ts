import { SipCallError } from 'livekit-server-sdk';
import { describe, expect, it } from 'vitest';
import { parseDestination, type Destination } from '../../settings/destination.ts';
import { authoriseDial, type AuthorisedDial } from '../../agent/transfer/dial/authorise.ts';
import { referCaller, referUri, type ReferApi } from '../../agent/transfer/tools/refer.ts';
import { NO_SIP_HOSTS_ALLOWED } from '../../agent/transfer/dial/sip-host.ts';

function destination(text: string): Destination {
  const parsed = parseDestination(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.destination;
}

/** Records what a transfer asked for; `fail` makes the REFER fail with that error. */
function fakeApi(opts: { fail?: unknown; pbx?: Awaited<ReturnType<ReferApi['trunkAddress']>> } = {}) {
  const calls: Array<{ room: string; identity: string; referTo: string; ringingTimeoutMs: number }> = [];
  const lookups: string[] = [];
  const api: ReferApi = {
    async transfer(room, identity, referTo, ringingTimeoutMs) {
      calls.push({ room, identity, referTo, ringingTimeoutMs });
      if (opts.fail) throw opts.fail;
    },
    async trunkAddress(trunkId) {
      lookups.push(trunkId);
      return opts.pbx;
    },
  };
  return { api, calls, lookups };
}

describe('the Refer-To of a destination', () => {
  it.each([
    ['(512) 555-1234', undefined, 'tel:+15125551234'],
    ['sip:alice@pbx.example.com:5070;transport=tcp', undefined, 'sip:alice@pbx.example.com:5070;transport=tcp'],
    ['ext:2001', { address: 'pbx.example.com:5060', transport: 'udp' as const }, 'sip:2001@pbx.example.com:5060'],
    ['pbx:2001', { address: 'pbx.example.com', transport: undefined }, 'sip:2001@pbx.example.com'],
    ['ext:2001', { address: 'pbx.example.com', transport: 'tls' as const }, 'sip:2001@pbx.example.com;transport=tls'],
    ['ext:2001', undefined, undefined],
  ])('%s at PBX %j is %s', (text, pbx, expected) => {
    expect(referUri(destination(text), pbx)).toBe(expected);
  });
});

/** `text` as authoriseDial passes it: named by a keypad rule, with both trunks configured. */
async function authorised(text: string): Promise<AuthorisedDial> {
  const result = await authoriseDial(destination(text), {
    plan: { rules: [], forbidden: [], warnings: [], source: 'parser' },
    keypad: new Map([['1', { destinations: [destination(text)], label: 'sales', warm: false }]]),
    trunks: { pstnOutboundTrunkId: 'ST_pstn', pbxOutboundTrunkId: 'ST_pbx', inboundAcceptsRefer: true },
    sipHosts: NO_SIP_HOSTS_ALLOWED,
  });
  if (!result.ok) throw new Error(result.why);
  return result.dial;
}

describe('referCaller', () => {
  const request = async (text: string) => ({
    dial: await authorised(text),
    room: 'call-1',
    callerIdentity: 'sip_+15125550142',
    pbxTrunkId: 'ST_pbx',
    ringingTimeoutMs: 20_000,
  });

  it('asks for the transfer of the caller, naming an extension at the PBX trunk', async () => {
    const { api, calls, lookups } = fakeApi({ pbx: { address: '127.0.0.1:5090', transport: 'udp' } });
    expect(await referCaller(api, await request('ext:2001'))).toEqual({ ok: true, referTo: 'sip:2001@127.0.0.1:5090' });
    expect(lookups).toEqual(['ST_pbx']);
    expect(calls).toEqual([{ room: 'call-1', identity: 'sip_+15125550142', referTo: 'sip:2001@127.0.0.1:5090', ringingTimeoutMs: 20_000 }]);
  });

  it('does not look up a trunk for a phone number', async () => {
    const { api, calls, lookups } = fakeApi();
    expect(await referCaller(api, await request('+1 512 555 1234'))).toEqual({ ok: true, referTo: 'tel:+15125551234' });
    expect(lookups).toEqual([]);
    expect(calls.map((c) => c.referTo)).toEqual(['tel:+15125551234']);
  });

  it('returns the SIP status of a refused transfer instead of throwing', async () => {
    const refused = new SipCallError('failed', 'call transfer failed', 500, 'unavailable', { sip_status_code: '501', sip_status: 'Not Implemented' });
    const { api } = fakeApi({ fail: refused });
    const result = await referCaller(api, await request('+15125551234'));
    expect(result).toMatchObject({ ok: false, referTo: 'tel:+15125551234', sipStatus: 501 });
    expect(!result.ok && result.message).toContain('501 Not Implemented');
  });

  it('returns other failures as a message', async () => {
    const { api } = fakeApi({ fail: new Error('connect ECONNREFUSED') });
    expect(await referCaller(api, await request('+15125551234'))).toEqual({ ok: false, referTo: 'tel:+15125551234', message: 'connect ECONNREFUSED' });
  });

  it('sends nothing when the PBX trunk has no address to name the extension', async () => {
    const { api, calls } = fakeApi({ pbx: undefined });
    const result = await referCaller(api, await request('ext:2001'));
    expect(result).toMatchObject({ ok: false, referTo: undefined });
    expect(calls).toEqual([]);
  });

  it('refuses a destination authoriseDial did not pass, and sends nothing', async () => {
    const { api, calls } = fakeApi();
    const forged = {
      destination: destination('+15125551234'),
      target: { via: 'trunk', trunkId: 'ST_pstn', number: '+15125551234' },
    } as unknown as AuthorisedDial;
    await expect(referCaller(api, { ...(await request('ext:2001')), dial: forged })).rejects.toThrow(/not authorised/);
    expect(calls).toEqual([]);
  });
});
