// The Cloud path's contract with RoomService: which calls it makes, in which order, with which arguments,
// and what happens to the caller when any one of them fails. (The open-source server cannot move
// participants, so this path is checked against a recorder rather than a live server.)
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { RoomEvent, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import { CallerHold } from '../../agent/transfer/hold/caller-hold.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import { bringCallerHome } from '../../agent/takeover/bring-home.ts';
import { holdWithTopology, type TopologyMemory } from '../../agent/transfer/hold/choose-topology.ts';
import { MoveTopology } from '../../agent/transfer/hold/move-topology.ts';
import type { TopologyDeps } from '../../agent/transfer/hold/topology.ts';

type Call = [string, ...string[]];
type Method = keyof RoomApi;

function recorder(failures: Partial<Record<Method, Error[]>> = {}) {
  const calls: Call[] = [];
  const fail = (method: Method) => {
    const error = failures[method]?.shift();
    if (error) throw error;
  };
  const api: RoomApi = {
    async createRoom(name) {
      calls.push(['createRoom', name.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
      fail('createRoom');
    },
    async deleteRoom(name) {
      calls.push(['deleteRoom', name.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
      fail('deleteRoom');
    },
    async removeParticipant(room, identity) {
      calls.push(['removeParticipant', room, identity]);
      fail('removeParticipant');
    },
    async moveParticipant(room, identity, to) {
      calls.push(['moveParticipant', room.replace(/[0-9a-f-]{36}$/, '<uuid>'), identity, to.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
      fail('moveParticipant');
    },
  };
  const muted: boolean[] = [];
  // Rooms emit events (key presses) like the real ones; the worker's joins are kept for the tests.
  const joined: Room[] = [];
  const fakeRoom = (name: string) =>
    Object.assign(new EventEmitter(), {
      name,
      disconnect: async () => void calls.push(['disconnect', name.replace(/[0-9a-f-]{36}$/, '<uuid>')]),
    }) as unknown as Room;
  const deps: TopologyDeps = {
    caller: { room: fakeRoom('call-room'), identity: 'sip_caller', muteAgent: (m) => void muted.push(m) },
    api,
    music: {
      async play(room) {
        calls.push(['play', room.name!.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
        return { stop: async () => void calls.push(['stop']) };
      },
    },
    join: async (name) => {
      calls.push(['join', name.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
      const room = fakeRoom(name);
      joined.push(room);
      return room;
    },
  };
  return { calls, muted, deps, joined };
}

const notImplemented = () => Object.assign(new Error('twirp error unimplemented: not implemented'), { code: 'unimplemented' });
const consultation = { name: 'wt-consult' } as unknown as Room;
/** A server URL of the test's own. */
const server = (name: string) => `wss://${name}-${randomUUID()}.test`;
/** What servers taught, kept in memory (in production, in the worker's Redis: topology-memory-redis). */
function memoryOfOwn(): TopologyMemory {
  const taught = new Map<string, 'move' | 'bridge'>();
  return { recall: async (url) => taught.get(url), learn: async (url, kind) => void taught.set(url, kind) };
}

describe('the Cloud (move) topology against RoomService', () => {
  it('holds by moving the caller into a music room, and connects by moving them to the destination', async () => {
    const { calls, muted, deps } = recorder();
    const topology = new MoveTopology(deps);
    await topology.hold();
    await topology.connect(consultation);
    expect(calls).toEqual([
      ['createRoom', 'wt-hold-<uuid>'],
      ['moveParticipant', 'call-room', 'sip_caller', 'wt-hold-<uuid>'],
      ['join', 'wt-hold-<uuid>'],
      ['play', 'wt-hold-<uuid>'],
      ['moveParticipant', 'wt-hold-<uuid>', 'sip_caller', 'wt-consult'],
      ['stop'],
      ['disconnect', 'wt-hold-<uuid>'],
      ['deleteRoom', 'wt-hold-<uuid>'],
    ]);
    expect(muted).toEqual([true]);
    expect(topology.callerRoomName).toBe('wt-consult');
  });

  it('has the record name the hold room before the caller is moved into it (write-ahead)', async () => {
    const { calls, deps } = recorder();
    deps.beforeMove = async (holdRoom) => {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a write that takes a moment: the move waits
      calls.push(['recorded', holdRoom.replace(/[0-9a-f-]{36}$/, '<uuid>')]);
    };
    await new MoveTopology(deps).hold();
    expect(calls.slice(0, 3)).toEqual([
      ['createRoom', 'wt-hold-<uuid>'],
      ['recorded', 'wt-hold-<uuid>'],
      ['moveParticipant', 'call-room', 'sip_caller', 'wt-hold-<uuid>'],
    ]);
  });

  it('takes the caller off hold by moving them home, then removes the hold room', async () => {
    const { calls, muted, deps } = recorder();
    const topology = new MoveTopology(deps);
    await topology.hold();
    calls.length = 0;
    await topology.unhold();
    expect(calls).toEqual([
      ['moveParticipant', 'wt-hold-<uuid>', 'sip_caller', 'call-room'],
      ['stop'],
      ['disconnect', 'wt-hold-<uuid>'],
      ['deleteRoom', 'wt-hold-<uuid>'],
    ]);
    expect(muted).toEqual([true, false]);
  });

  it.each(['createRoom', 'moveParticipant'] as const)('if %s fails while holding, the caller stays home with the agent', async (method) => {
    const { calls, muted, deps } = recorder({ [method]: [new Error('boom')] });
    await expect(new MoveTopology(deps).hold()).rejects.toThrow('boom');
    expect(muted.at(-1) ?? false).toBe(false);
    expect(calls.filter(([m]) => m === 'moveParticipant')).toHaveLength(method === 'moveParticipant' ? 1 : 0);
    // A refused move leaves no room behind, and the worker never joined it.
    if (method === 'moveParticipant') expect(calls.slice(-1)).toEqual([['deleteRoom', 'wt-hold-<uuid>']]);
    expect(calls.some(([m]) => m === 'join')).toBe(false);
  });

  it('if the move to the destination fails, connect fails and the caller is still on hold (then can be brought home)', async () => {
    const { calls, deps } = recorder();
    const topology = new MoveTopology(deps);
    await topology.hold();
    deps.api.moveParticipant = async () => {
      calls.push(['moveParticipant-failed']);
      throw new Error('move failed');
    };
    await expect(topology.connect(consultation)).rejects.toThrow('move failed');
    expect(calls.at(-1)).toEqual(['moveParticipant-failed']);
    expect(topology.callerRoomName.startsWith('wt-hold-')).toBe(true);
  });

  it('retries the move home, and never deletes the hold room under a caller it could not move', async () => {
    const once = recorder({ moveParticipant: [] });
    const topology = new MoveTopology(once.deps);
    await topology.hold();
    once.deps.api.moveParticipant = (() => {
      let attempts = 0;
      return async () => {
        attempts += 1;
        once.calls.push(['moveParticipant-attempt', String(attempts)]);
        if (attempts < 3) throw new Error('transient');
      };
    })();
    await topology.unhold();
    expect(once.calls.filter(([m]) => m === 'moveParticipant-attempt')).toHaveLength(3);
    expect(once.calls.at(-1)).toEqual(['deleteRoom', 'wt-hold-<uuid>']);

    const never = recorder();
    const stuck = new MoveTopology(never.deps);
    await stuck.hold();
    never.deps.api.moveParticipant = async () => {
      throw new Error('down');
    };
    await expect(stuck.unhold()).rejects.toThrow('down');
    expect(never.calls.some(([m]) => m === 'deleteRoom')).toBe(false);
  });
});

describe('a takeover on Cloud against RoomService', () => {
  const held = { holdRoom: 'wt-hold-old', callerIdentity: 'sip_caller', bridged: false };

  it("moves the caller back from the dead job's hold room into their own room, then deletes that hold room", async () => {
    const { calls, deps } = recorder({ moveParticipant: [new Error('transient')] });
    expect(await bringCallerHome(deps.api, held, 'call-room')).toBe('home');
    expect(calls).toEqual([
      ['moveParticipant', 'wt-hold-old', 'sip_caller', 'call-room'],
      ['moveParticipant', 'wt-hold-old', 'sip_caller', 'call-room'],
      ['deleteRoom', 'wt-hold-old'],
    ]);
  });

  it('leaves a bridged caller (in the consultation room) and a caller who was never held where they are', async () => {
    const { calls, deps } = recorder();
    expect(await bringCallerHome(deps.api, { ...held, bridged: true }, 'call-room')).toBe('not_held');
    expect(await bringCallerHome(deps.api, { ...held, holdRoom: undefined }, 'call-room')).toBe('not_held');
    expect(calls).toEqual([]);
  });

  it('moves nobody when the server says the caller never reached the hold room the record names', async () => {
    for (const answer of [['warm-transfer-agent'], 'no_room' as const]) {
      const { calls, deps } = recorder();
      deps.api.participantIdentities = async (room) => {
        calls.push(['participantIdentities', room]);
        return answer;
      };
      expect(await bringCallerHome(deps.api, held, 'call-room')).toBe('not_held');
      expect(calls).toEqual([
        ['participantIdentities', 'wt-hold-old'],
        ['deleteRoom', 'wt-hold-old'],
      ]);
    }
  });

  it('moves the caller home when the server says they are in the hold room, or cannot say', async () => {
    for (const answer of [async () => ['sip_caller'], async () => Promise.reject(new Error('down'))]) {
      const { calls, deps } = recorder();
      deps.api.participantIdentities = answer;
      expect(await bringCallerHome(deps.api, held, 'call-room')).toBe('home');
      expect(calls).toEqual([
        ['moveParticipant', 'wt-hold-old', 'sip_caller', 'call-room'],
        ['deleteRoom', 'wt-hold-old'],
      ]);
    }
  });

  it('reports a caller it could not move after three tries, and deletes nothing itself', async () => {
    const down = () => new Error('down');
    const { calls, deps } = recorder({ moveParticipant: [down(), down(), down()] });
    expect(await bringCallerHome(deps.api, held, 'call-room')).toBe('stuck');
    expect(calls.filter(([m]) => m === 'moveParticipant')).toHaveLength(3);
    expect(calls.some(([m]) => m === 'deleteRoom')).toBe(false);
  });
});

describe('a caller on hold on Cloud', () => {
  it('is heard pressing 0 in the hold room, where they wait, and not in the room they left', async () => {
    const { deps, joined } = recorder();
    let stops = 0;
    const hold = new CallerHold({ mode: 'move', serverUrl: server('keys'), topology: deps, speak: async function* () {}, onStopWaiting: () => void stops++ });
    await hold.hold();
    const caller = { identity: 'sip_caller' } as RemoteParticipant;
    const holdRoom = joined[0]!;
    expect(holdRoom.name).toMatch(/^wt-hold-/);
    deps.caller.room.emit(RoomEvent.DtmfReceived, 0, '0', caller);
    expect(stops).toBe(0);
    holdRoom.emit(RoomEvent.DtmfReceived, 5, '5', caller);
    holdRoom.emit(RoomEvent.DtmfReceived, 0, '0', { identity: 'someone-else' } as RemoteParticipant);
    expect(stops).toBe(0);
    holdRoom.emit(RoomEvent.DtmfReceived, 0, '0', caller);
    expect(stops).toBe(1);
    await hold.unhold();
    holdRoom.emit(RoomEvent.DtmfReceived, 0, '0', caller);
    expect(stops).toBe(1);
  });
});

describe('choosing the topology', () => {
  it('auto falls back to the bridge when the server cannot move, and remembers it for that server', async () => {
    const first = recorder({ moveParticipant: [notImplemented()] });
    const selfHosted = server('self-hosted');
    const memory = memoryOfOwn();
    const topology = await holdWithTopology('auto', selfHosted, first.deps, memory);
    expect(topology.kind).toBe('bridge');
    // The failed attempt cleaned up its hold room; the music now plays in the caller's own room.
    expect(first.calls).toContainEqual(['deleteRoom', 'wt-hold-<uuid>']);
    expect(first.calls.at(-1)).toEqual(['play', 'call-room']);

    const second = recorder();
    expect((await holdWithTopology('auto', selfHosted, second.deps, memory)).kind).toBe('bridge');
    expect(second.calls).toEqual([['play', 'call-room']]);
  });

  it('auto uses moves where they work, and forced "move" never falls back', async () => {
    const cloud = recorder();
    expect((await holdWithTopology('auto', server('cloud'), cloud.deps)).kind).toBe('move');
    const forced = recorder({ moveParticipant: [notImplemented()] });
    await expect(holdWithTopology('move', server('forced'), forced.deps)).rejects.toThrow('not implemented');
    expect(forced.muted.at(-1)).toBe(false);
  });

  it('a bridge hold whose music cannot start leaves the caller with their agent, not muted in silence', async () => {
    const { muted, deps } = recorder();
    deps.music = { play: async () => Promise.reject(new Error('publish failed')) };
    await expect(holdWithTopology('bridge', server('no-music'), deps)).rejects.toThrow('publish failed');
    expect(muted).toEqual([true, false]);
  });
});
