// The one check before every dial and REFER (authorise.ts): the plan and the keypad rules name what may be
// dialled, the denylist wins, each kind needs its trunk, and a SIP address may not reach a loopback, private,
// link-local or unspecified host unless the operator lists it. Only what the check passed can be dialled.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../agent/config.ts';
import { parseDestination, type Destination } from '../../settings/destination.ts';
import type { TransferPlan } from '../../settings/rules/plan.ts';
import { authoriseDial, sipHostProblems, type AuthorisedDial, type DialPolicy } from '../../agent/transfer/dial/authorise.ts';
import { dial } from '../../agent/transfer/dial/dial.ts';
import { checkSipHost, NO_SIP_HOSTS_ALLOWED, parseSipHostPolicy, type SipHostPolicy } from '../../agent/transfer/dial/sip-host.ts';

function d(text: string): Destination {
  const parsed = parseDestination(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.destination;
}

function hosts(text: string): SipHostPolicy {
  const parsed = parseSipHostPolicy(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.policy;
}

/** A plan as the rules reader would give it (built by hand: this file tests the check, not the reader). */
function plan(allowed: string[], forbidden: string[] = []): TransferPlan {
  return {
    rules: [{ index: 1, text: 'rules', label: undefined, chains: [allowed.map(d)], confirmFirst: false, forbids: forbidden.map(d) }],
    forbidden: forbidden.map(d),
    warnings: [],
    source: 'parser',
  };
}

const noDns = async () => {
  throw new Error('this test resolves no name');
};

function policy(
  opts: { allowed?: string[]; forbidden?: string[]; keypad?: string[]; sipHosts?: SipHostPolicy; resolve?: DialPolicy['resolve'] } = {},
): DialPolicy {
  return {
    plan: plan(opts.allowed ?? [], opts.forbidden ?? []),
    keypad: new Map(opts.keypad ? [['1', { destinations: opts.keypad.map(d), label: 'sales', warm: false }]] : []),
    trunks: { pstnOutboundTrunkId: 'ST_pstn', pbxOutboundTrunkId: 'ST_pbx', inboundAcceptsRefer: false },
    sipHosts: opts.sipHosts ?? NO_SIP_HOSTS_ALLOWED,
    resolve: opts.resolve ?? noDns,
  };
}

describe('authoriseDial: what may be dialled', () => {
  it('passes a destination of the plan, with where to send its INVITE', async () => {
    const result = await authoriseDial(d('ext:1002'), policy({ allowed: ['ext:1002'] }));
    expect(result).toMatchObject({ ok: true, dial: { target: { via: 'trunk', trunkId: 'ST_pbx', number: '1002' } } });
  });

  it("passes a keypad rule's destinations and fallbacks, which are part of what may be dialled", async () => {
    const p = policy({ allowed: ['ext:1002'], keypad: ['ext:2001', '+15125550000'] });
    expect((await authoriseDial(d('ext:2001'), p)).ok).toBe(true);
    expect((await authoriseDial(d('(512) 555-0000'), p)).ok).toBe(true);
  });

  it.each([
    { what: 'a destination no rule or keypad rule names', text: 'ext:1999', allowed: ['ext:1002'], refusal: 'not_in_plan' },
    { what: 'a forbidden destination, even one a keypad rule names', text: 'ext:2001', keypad: ['ext:2001'], forbidden: ['ext:2001'], refusal: 'forbidden' },
    { what: 'a forbidden number written another way', text: '512.555.9999', allowed: ['ext:1002'], forbidden: ['+15125559999'], refusal: 'forbidden' },
  ])('refuses $what', async ({ text, refusal, ...opts }) => {
    expect(await authoriseDial(d(text), policy(opts))).toMatchObject({ ok: false, refusal });
  });

  it('refuses a destination a transfer record held but that could not be read back', async () => {
    expect(await authoriseDial(undefined, policy({ allowed: ['ext:1002'] }))).toMatchObject({ ok: false, refusal: 'unreadable' });
  });

  it('refuses an extension when no PBX trunk is configured', async () => {
    const p = { ...policy({ allowed: ['ext:1002'] }), trunks: { pstnOutboundTrunkId: 'ST_pstn', pbxOutboundTrunkId: undefined, inboundAcceptsRefer: false } };
    expect(await authoriseDial(d('ext:1002'), p)).toMatchObject({ ok: false, refusal: 'no_trunk' });
  });
});

describe('authoriseDial: the host of a SIP address', () => {
  it.each([
    'sip:a@127.0.0.1',
    'sip:a@127.8.9.10:5070',
    'sip:a@10.0.0.5',
    'sip:a@172.16.0.1',
    'sip:a@172.31.255.254',
    'sip:a@192.168.1.10',
    'sip:a@100.64.0.1',
    'sip:a@169.254.169.254',
    'sip:a@0.0.0.0',
    'sip:a@[::1]',
    'sip:a@[::]',
    'sip:a@[fd00::1]',
    'sip:a@[fe80::1]',
    'sip:a@[::ffff:127.0.0.1]',
    'sip:a@localhost',
    'sip:a@pbx.localhost',
    'sip:a@printer.local',
  ])('refuses %s unless listed', async (uri) => {
    expect(await authoriseDial(d(uri), policy({ allowed: [uri] }))).toMatchObject({ ok: false, refusal: 'sip_host' });
  });

  it.each(['sip:a@203.0.113.7', 'sip:a@172.32.0.1', 'sip:a@[2001:db8::7]'])('passes %s, a public address', async (uri) => {
    expect((await authoriseDial(d(uri), policy({ allowed: [uri] }))).ok).toBe(true);
  });

  it('passes a restricted host the operator lists, by address, by CIDR or by name', async () => {
    const sipHosts = hosts('127.0.0.1, 10.20.0.0/16, fd00::/8, pbx.local');
    for (const uri of ['sip:a@127.0.0.1:5095', 'sip:a@10.20.3.4', 'sip:a@[fd12::3]', 'sip:a@pbx.local']) {
      expect((await authoriseDial(d(uri), policy({ allowed: [uri], sipHosts }))).ok, uri).toBe(true);
    }
    expect((await authoriseDial(d('sip:a@10.21.0.1'), policy({ allowed: ['sip:a@10.21.0.1'], sipHosts }))).ok).toBe(false);
  });

  it('resolves a host name and refuses it when any of its addresses is restricted', async () => {
    const resolve = async (host: string) => (host === 'inside.example.com' ? ['203.0.113.7', '10.0.0.9'] : ['203.0.113.8']);
    expect(await authoriseDial(d('sip:a@inside.example.com'), policy({ allowed: ['sip:a@inside.example.com'], resolve }))).toMatchObject({
      ok: false,
      refusal: 'sip_host',
      address: '10.0.0.9',
    });
    expect((await authoriseDial(d('sip:a@pbx.example.com'), policy({ allowed: ['sip:a@pbx.example.com'], resolve }))).ok).toBe(true);
  });

  it('refuses a host name that does not resolve within the bound', async () => {
    const never = () => new Promise<string[]>(() => undefined);
    const started = Date.now();
    expect(await checkSipHost('slow.example.com', NO_SIP_HOSTS_ALLOWED, never, 50)).toMatchObject({
      ok: false,
      why: expect.stringContaining('did not resolve'),
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('only what authoriseDial passed can be dialled', () => {
  it('dial() refuses an object that merely looks authorised, before any request is made', async () => {
    const forged = { destination: d('ext:1999'), target: { via: 'trunk', trunkId: 'ST_pbx', number: '1999' } } as unknown as AuthorisedDial;
    const request = { dial: forged, room: 'wt-x', identity: 'transfer-destination', fromNumber: undefined, ringingTimeoutMs: 1000 };
    await expect(dial({ url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' }, request, AbortSignal.timeout(1000))).rejects.toThrow(/not authorised/);
  });
});

describe('SIP_ALLOWED_HOSTS', () => {
  const env = { LIVEKIT_URL: 'ws://127.0.0.1:7880', LIVEKIT_API_KEY: 'k', LIVEKIT_API_SECRET: 's' };

  it('is read once with the other settings, and every bad entry is reported', () => {
    expect(loadConfig({ ...env, SIP_ALLOWED_HOSTS: '127.0.0.1, ::1, 10.0.0.0/8, pbx.internal' }).sipHosts.listed).toEqual([
      '127.0.0.1',
      '::1',
      '10.0.0.0/8',
      'pbx.internal',
    ]);
    expect(loadConfig(env).sipHosts.listed).toEqual([]);
    expect(() => loadConfig({ ...env, SIP_ALLOWED_HOSTS: '10.0.0.0/33, bad_host!, 1.2.3.4/8/9' })).toThrow(
      /10\.0\.0\.0\/33[\s\S]*bad_host![\s\S]*1\.2\.3\.4\/8\/9/,
    );
  });

  it('makes a SIP address on a restricted host a start-up problem unless it is listed', () => {
    const settings = {
      agentId: 'support',
      warmTransfer: { plan: plan(['sip:a@10.0.0.5', 'sip:b@pbx.example.com']) },
      keypad: new Map([['1', { destinations: [d('sip:c@[::1]')], label: 'c', warm: false }]]),
    };
    expect(sipHostProblems(settings as never, NO_SIP_HOSTS_ALLOWED)).toEqual([
      expect.stringMatching(/^agent support: sip:a@10\.0\.0\.5 will not be dialled/),
      expect.stringMatching(/^agent support: sip:c@\[::1\] will not be dialled/),
    ]);
    expect(sipHostProblems(settings as never, hosts('10.0.0.5, ::1'))).toEqual([]);
  });
});
