// Keypad rules without a server: the order of REFER and dialling, what the caller's agent does meanwhile,
// and that keys stop starting transfers once the caller has been handed off. (The real stack runs the
// same paths in test/integration/caller-keys*.test.ts.)
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRecords } from '../support/records.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { ReferApi } from '../../agent/transfer/tools/refer.ts';
import { fakeCall, fakeMusic } from '../support/fakes/index.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

async function keypad(opts: { acceptsRefer: boolean; referFails?: boolean }) {
  const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'a',
    trunks: { inbound: { acceptsRefer: opts.acceptsRefer }, pstnOutboundTrunkId: 'ST_pstn' },
    keypad: { '1': '+15125550000' },
  });
  const refers: string[] = [];
  const refer: ReferApi = {
    async transfer(_room, _identity, referTo) {
      refers.push(referTo);
      if (opts.referFails) throw new Error('501 Not Implemented');
    },
    trunkAddress: async () => undefined,
  };
  const plays: string[] = [];
  const call = fakeCall({
    // Hold music that starts, and a server that is not there (a closed loopback port): the dialling path
    // fails fast, and what the caller is told can be read off the fake session.
    music: fakeMusic({ onPlay: (room) => void plays.push(room.name!) }),
    settings,
    // Each harness is a call of its own: a handed-off call's record must not refuse the next test's keys.
    records: records.callStore(),
    refer,
  });
  return { tools: call.tools, said: call.said, audio: call.agentHears, refers, plays, closed: call.closed, handedOff: call.handedOff };
}

describe('a keypad rule', () => {
  it('hands the caller to a trunk that accepts REFER, silences the agent, and then ignores further keys', async () => {
    const k = await keypad({ acceptsRefer: true });
    expect(await k.tools.keypadTransfer('1')).toBe('accepted');
    expect(k.refers).toEqual(['tel:+15125550000']);
    expect(k.audio).toEqual([false]);
    expect(k.closed()).toBe(1);
    expect(k.handedOff()).toBe(1);
    expect(k.plays).toEqual([]);
    expect(await k.tools.keypadTransfer('1')).toBeUndefined();
    expect(k.refers).toHaveLength(1);
  });

  it('dials instead when the REFER fails; when that fails too, the caller is back with the agent and told why', async () => {
    const k = await keypad({ acceptsRefer: true, referFails: true });
    expect(await k.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(k.refers).toEqual(['tel:+15125550000']);
    expect(k.plays).toEqual(['call-room']);
    expect(k.audio.at(-1)).toBe(true);
    expect(k.said).toEqual([callerMessage('dial_failed')]);
    expect(k.handedOff()).toBe(0);
  });

  it('never sends a REFER to a trunk not marked as accepting it, and ignores keys without a rule', async () => {
    const k = await keypad({ acceptsRefer: false });
    expect(await k.tools.keypadTransfer('5')).toBeUndefined();
    expect(await k.tools.keypadTransfer('1')).toBe('dial_failed');
    expect(k.refers).toEqual([]);
    expect(k.plays).toEqual(['call-room']);
  });
});
