// Keypad rules without a server: the order of REFER and dialling, what the caller's agent does meanwhile,
// and that keys stop starting transfers once the caller has been handed off. (The real stack runs the
// same paths in test/integration/caller-keys*.test.ts.)
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { initializeLogger, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRecords } from '../support/records.ts';
import { callerMessage } from '../../prompts/outcomes.ts';
import type { Models } from '../../agent/conversation/models.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import type { ReferApi } from '../../agent/transfer/tools/refer.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import { TransferRecordStore } from '../../agent/transfer/record/store.ts';
import { callTransfers } from '../../agent/transfer/call-transfers.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

const api: RoomApi = { createRoom: async () => {}, deleteRoom: async () => {}, removeParticipant: async () => {}, moveParticipant: async () => {} };

async function keypad(opts: { acceptsRefer: boolean; referFails?: boolean }) {
  const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
    agentId: 'a',
    trunks: { inbound: { acceptsRefer: opts.acceptsRefer }, pstnOutboundTrunkId: 'ST_pstn' },
    keypad: { '1': '+15125550000' },
  });
  const said: string[] = [];
  const audio: boolean[] = [];
  let closed = 0;
  const session = {
    history: { items: [] },
    input: { setAudioEnabled: (on: boolean) => void audio.push(on) },
    output: { setAudioEnabled: () => undefined },
    say: (text: string) => void said.push(text),
    close: async () => void closed++,
  } as unknown as voice.AgentSession;
  const refers: string[] = [];
  const refer: ReferApi = {
    async transfer(_room, _identity, referTo) {
      refers.push(referTo);
      if (opts.referFails) throw new Error('501 Not Implemented');
    },
    trunkAddress: async () => undefined,
  };
  let handedOff = 0;
  const plays: string[] = [];
  const tools = callTransfers({
    credentials: { url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' },
    api,
    room: Object.assign(new EventEmitter(), { name: 'call-room' }) as unknown as Room,
    callerIdentity: 'sip_caller',
    callerNumber: '+15125550142',
    session: () => session,
    models: {} as Models,
    // Hold music that starts, and a server that is not there (a closed loopback port): the dialling path
    // fails fast, and what the caller is told can be read off the fake session.
    music: {
      play: async (room) => {
        plays.push(room.name!);
        return { stop: async () => undefined };
      },
    },
    settings,
    // Each harness is a call of its own: a handed-off call's record must not refuse the next test's keys.
    records: new TransferRecordStore({ redis: records.redis, prefix: `${records.prefix}${randomUUID()}:` }),
    topology: 'bridge',
    deadlineMs: 60_000,
    onCallHandedOff: () => void handedOff++,
    refer,
  });
  return { tools, said, audio, refers, plays, closed: () => closed, handedOff: () => handedOff };
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
