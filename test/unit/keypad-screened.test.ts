// Screened keypad transfers without a server: the settings form and its errors, the briefing a model-less
// agent builds, and what the caller hears before the hold. (The real stack runs the whole transfer in
// test/integration/keypad-screened*.test.ts.)
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { briefingFacts } from '../../prompts/briefing.ts';
import { keypadBriefing, keypadHoldMessage, spokenNumber } from '../../prompts/keypad.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { CALLER_IDENTITY, fakeCall, fakeMusic, fakeRoom } from '../support/fakes/index.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));

const trunks = { pstnOutboundTrunkId: 'ST_pstn', pbx: { outboundTrunkId: 'ST_pbx' } };
const parse = (keypad: unknown, extra: Record<string, unknown> = {}) =>
  agentSettingsSchema('/settings/a.json').safeParseAsync({ agentId: 'a', trunks, keypad, ...extra });
const problems = async (keypad: unknown, extra: Record<string, unknown> = {}) => {
  const parsed = await parse(keypad, extra);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.slice(1).join('.')}: ${i.message}`);
};

describe('a keypad rule in the settings', () => {
  it('is warm with its label and fallbacks in order; the short form stays a plain transfer', async () => {
    const parsed = await parse({ '1': { destination: 'ext:2001', label: 'sales', warm: true, fallbacks: ['+1 512 555 0000'] }, '2': 'ext:2002' });
    expect(parsed.success).toBe(true);
    expect([...parsed.data!.keypad]).toEqual([
      [
        '1',
        {
          destinations: [
            { kind: 'extension', extension: '2001' },
            { kind: 'phone', e164: '+15125550000' },
          ],
          label: 'sales',
          warm: true,
        },
      ],
      ['2', { destinations: [{ kind: 'extension', extension: '2002' }], label: 'extension 2002', warm: false }],
    ]);
  });

  it.each([
    ['a number', 7, ['1: a keypad rule is a destination such as "ext:2001", or { "destination": "ext:2001", "label": "sales", "warm": true }']],
    ['no destination', { label: 'sales', warm: true }, ['1.destination: required: the destination to dial, such as "ext:2001"']],
    ['an unknown field', { destination: 'ext:2001', screened: true }, ['1: Unrecognized key: "screened"']],
    ['warm as text', { destination: 'ext:2001', warm: 'yes' }, ['1.warm: Invalid input: expected boolean, received string']],
    ['an empty label', { destination: 'ext:2001', label: ' ', warm: true }, ['1.label: must not be empty']],
    [
      'a label with markup',
      { destination: 'ext:2001', label: '<b>sales</b>', warm: true },
      ["1.label: letters, digits, spaces and ' & . - only: it is spoken to the caller"],
    ],
    ['a bad fallback', { destination: 'ext:2001', warm: true, fallbacks: ['ext:'] }, ["1.fallbacks.0: 'ext:' names no extension: write ext:1002"]],
    [
      'a fallback that repeats the destination',
      { destination: 'ext:2001', warm: true, fallbacks: ['pbx:2001'] },
      ['1.fallbacks: names the same destination twice'],
    ],
  ])('reports %s, naming the key', async (_, rule, expected) => {
    expect(await problems({ '1': rule })).toEqual(expected);
  });

  it('needs the trunk of a fallback as of a destination', async () => {
    const parsed = await agentSettingsSchema('/settings/a.json').safeParseAsync({
      agentId: 'a',
      trunks: { pbx: { outboundTrunkId: 'ST_pbx' } },
      keypad: { '1': { destination: 'ext:2001', warm: true, fallbacks: ['+15125550000'] } },
    });
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'trunks.pstnOutboundTrunkId: required to dial +1 512 555 0000 (keypad.1)',
    ]);
  });
});

describe('the briefing a keypad rule builds without a model', () => {
  it('says who is calling from which number, what they pressed and after how long', () => {
    const text = keypadBriefing({ digit: '1', label: 'sales', callerNumber: '+15125550142', shownNumber: '+15550100', onLineMs: 8400 });
    expect(text).toBe('A caller from 5 1 2, 5 5 5, oh 1 4 2 pressed 1 for sales after 8 seconds.');
  });

  it("with pass-through off, names the agent's number the destination's phone shows instead", () => {
    const text = keypadBriefing({ digit: '#', label: 'support', callerNumber: undefined, shownNumber: '+15125550100', onLineMs: 130_000 });
    expect(text).toBe('A caller whose number is not passed on, shown to you as 5 1 2, 5 5 5, oh 1 oh oh, pressed hash for support after about 2 minutes.');
    expect(text).not.toContain('0142');
  });

  it('reads numbers digit by digit', () => {
    expect(spokenNumber('+442071838750')).toBe('4 4 2 oh 7 1 8 3 8 7 5 oh');
    expect(spokenNumber('+15550100')).toBe('1 5 5 5 oh 1 oh oh');
  });

  it('puts the facts before the summary, and speaks them once when there is no summary', () => {
    const known = 'A caller from 5 1 2 pressed 1 for sales, after 3 seconds on the line.';
    expect(briefingFacts({ summary: known, known })).toBe(known);
    expect(briefingFacts({ summary: 'They want a quote.', known })).toBe(`${known} They want a quote.`);
    expect(briefingFacts({ summary: 'They want a quote.' })).toBe('They want a quote.');
  });
});

describe('a screened keypad transfer', () => {
  const records = testRecords();
  afterAll(() => records.cleanup());

  async function screened(callerStillThere: boolean) {
    const settings = (await parse({ '1': { destination: '+15125550000', label: 'sales', warm: true } })).data!;
    const plays: string[] = [];
    const call = fakeCall({
      records: records.callStore(),
      room: fakeRoom('call-room', { participants: callerStillThere ? [CALLER_IDENTITY] : [] }),
      // Music that starts and a server that is not there (a closed loopback port): the dialling fails fast,
      // after the announcement.
      music: fakeMusic({ onPlay: (r) => void plays.push(r.name!) }),
      settings,
    });
    return { tools: call.tools, said: call.said, plays };
  }

  it('tells the caller it is checking before the hold; a failed dial brings them back with the reason', async () => {
    const s = await screened(true);
    expect(await s.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(s.said[0]).toBe(keypadHoldMessage({ label: 'sales' }));
    expect(s.said[0]).toBe('Please hold while I check that sales is available.');
    expect(s.plays).toEqual(['call-room']);
    expect(s.said.at(-1)).toBe(callerMessage('dial_failed'));
  });

  it('dials nobody when the caller hung up during the announcement', async () => {
    const s = await screened(false);
    expect(await s.tools.keypadTransfer('1')).toBe('caller_hung_up');
    expect(s.plays).toEqual([]);
    expect(s.said).toEqual([keypadHoldMessage({ label: 'sales' })]);
  });
});
