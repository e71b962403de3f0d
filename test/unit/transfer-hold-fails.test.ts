// A hold that cannot start (the music will not publish) ends the transfer at once: nobody is dialled or
// briefed for a caller who is not on hold, the caller keeps their agent and hears why.
import { initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRecords } from '../support/records.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { fakeCall, fakeMusic, fakeRoomApi } from '../support/fakes/index.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

describe('a hold that cannot start', () => {
  it('ends the transfer as hold_failed without dialling, and gives the caller their agent back', async () => {
    const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
      agentId: 'a',
      trunks: { pstnOutboundTrunkId: 'ST_pstn' },
      keypad: { '1': '+15125550000' },
    });
    const roomsCreated: string[] = [];
    const { tools, said, agentHears, timeline } = fakeCall({
      api: fakeRoomApi(([method, name]) => void (method === 'createRoom' && roomsCreated.push(name!))),
      music: fakeMusic({ fails: new Error('publishing hold music did not finish within 5000 ms') }),
      settings,
      records: records.store,
    });
    expect(await tools.keypadTransfer('1')).toBe('hold_failed');
    expect(roomsCreated).toEqual([]);
    expect(timeline.map((e) => e.type)).not.toContain('dialing');
    expect(timeline.at(-1)).toMatchObject({ type: 'ended', outcome: 'hold_failed' });
    expect(said).toEqual([callerMessage('hold_failed')]);
    expect(agentHears.at(-1)).toBe(true);
  });
});
