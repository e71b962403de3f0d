// The Cloud contract case of a takeover: the job dies after the caller was moved into its hold room and before
// the destination rings. The next job knows where everyone is from the record alone, so the record must name
// the hold room before the move (write-ahead), not at the next transition. Here the "death" is a move that the
// server carries out and whose answer never comes back; the record is then read from the real Redis, as the
// next job reads it, and the caller is brought home by it.
import { EventEmitter } from 'node:events';
import { initializeLogger, type voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Models } from '../../agent/conversation/models.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import { bringCallerHome } from '../../agent/takeover/bring-home.ts';
import { callTransfers } from '../../agent/transfer/call-transfers.ts';
import { agentSettingsSchema } from '../../settings/schema.ts';
import { eventually } from '../support/rooms.ts';
import { testRecords } from '../support/records.ts';

beforeAll(() => initializeLogger({ pretty: false, level: 'fatal' }));
const records = testRecords();
afterAll(() => records.cleanup());

describe('a job that dies once the caller is in its hold room, before ringing (Cloud)', () => {
  it('leaves a record that names the hold room, and the next job brings the caller home from it', async () => {
    const settings = await agentSettingsSchema('/settings/agent.json').parseAsync({
      agentId: 'a',
      trunks: { pstnOutboundTrunkId: 'ST_pstn' },
      keypad: { '1': '+15125550000' },
    });
    const movedTo: string[] = [];
    const dyingApi: RoomApi = {
      createRoom: async () => undefined,
      deleteRoom: async () => undefined,
      removeParticipant: async () => undefined,
      // The server moves the caller; the job dies before it hears back, so nothing after this runs.
      moveParticipant: (_room, _identity, to) => {
        movedTo.push(to);
        return new Promise<void>(() => undefined);
      },
    };
    const session = {
      history: { items: [] },
      input: { setAudioEnabled: () => undefined },
      output: { setAudioEnabled: () => undefined },
      say: () => undefined,
      close: async () => undefined,
    } as unknown as voice.AgentSession;
    const callerRoom = `call-cloud-gap-${Date.now()}`;
    const tools = callTransfers({
      credentials: { url: 'ws://127.0.0.1:1', apiKey: 'k', apiSecret: 's' },
      api: dyingApi,
      room: Object.assign(new EventEmitter(), { name: callerRoom, remoteParticipants: new Map() }) as unknown as Room,
      callerIdentity: 'sip_caller',
      callerNumber: '+15125550142',
      session: () => session,
      models: {} as Models,
      music: { play: async () => ({ stop: async () => undefined }) },
      settings,
      records: records.store,
      topology: 'move',
      deadlineMs: 60_000,
      onCallHandedOff: () => undefined,
    });
    void tools.keypadTransfer('1');
    await eventually(() => movedTo.length === 1, 5000, 'the move into the hold room');

    const id = await records.store.openFor(callerRoom);
    const stored = id ? await records.store.read(id) : undefined;
    expect(stored?.phase.kind).toBe('dialing');
    expect(stored?.holdRoom).toBe(movedTo[0]);

    // The next job, from the record alone: the server says the caller is in that room; they are moved home.
    const home: [string, string, string][] = [];
    const api: RoomApi = {
      ...dyingApi,
      moveParticipant: async (room, identity, to) => void home.push([room, identity, to]),
      participantIdentities: async (room) => (room === movedTo[0] ? ['sip_caller', 'warm-transfer-agent'] : 'no_room'),
    };
    const where = await bringCallerHome(api, { holdRoom: stored!.holdRoom, callerIdentity: stored!.callerIdentity, bridged: false }, callerRoom);
    expect(where).toBe('home');
    expect(home).toEqual([[movedTo[0], 'sip_caller', callerRoom]]);
  });
});
