// A hold that cannot start (the music will not publish) ends the transfer at once: nobody is dialled or
// briefed for a caller who is not on hold, the caller keeps their agent and hears why.
import { EventEmitter } from 'node:events';
import { initializeLogger, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRecords } from '../support/records.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import type { Models } from '../../agent/conversation/models.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import type { TimelineEntry } from '../../agent/transfer/timeline.ts';
import { callTransfers } from '../../agent/transfer/call-transfers.ts';

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
    const api: RoomApi = {
      createRoom: async (name) => void roomsCreated.push(name),
      deleteRoom: async () => undefined,
      removeParticipant: async () => undefined,
      moveParticipant: async () => undefined,
    };
    const said: string[] = [];
    const agentHears: boolean[] = [];
    const session = {
      history: { items: [] },
      input: { setAudioEnabled: (on: boolean) => void agentHears.push(on) },
      output: { setAudioEnabled: () => undefined },
      say: (text: string) => void said.push(text),
      close: async () => undefined,
    } as unknown as voice.AgentSession;
    const timeline: TimelineEntry[] = [];
    const tools = callTransfers({
      credentials: { url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' },
      api,
      room: Object.assign(new EventEmitter(), { name: 'call-room' }) as unknown as Room,
      callerIdentity: 'sip_caller',
      callerNumber: '+15125550142',
      session: () => session,
      models: {} as Models,
      music: { play: async () => Promise.reject(new Error('publishing hold music did not finish within 5000 ms')) },
      settings,
      records: records.store,
      topology: 'bridge',
      deadlineMs: 60_000,
      onCallHandedOff: () => undefined,
      onTimeline: (entry) => void timeline.push(entry),
    });
    expect(await tools.keypadTransfer('1')).toBe('hold_failed');
    expect(roomsCreated).toEqual([]);
    expect(timeline.map((e) => e.type)).not.toContain('dialing');
    expect(timeline.at(-1)).toMatchObject({ type: 'ended', outcome: 'hold_failed' });
    expect(said).toEqual([callerMessage('hold_failed')]);
    expect(agentHears.at(-1)).toBe(true);
  });
});
