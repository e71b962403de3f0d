// The Cloud path's contract with RoomService: which calls it makes, in which order, with which arguments, and
// what happens when one of them fails or answers an error after all. The caller is held in their own room (no
// RoomService call at all), and the accept moves the person into it; the rules of Cloud behind these calls
// (rooms that close, moves that replay, SIDs that change) are checked against a model in cloud-model-transfers.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { RoomEvent, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallerHold } from '../../agent/transfer/hold/caller-hold.ts';
import type { RoomApi } from '../../agent/livekit/room-api.ts';
import { bringCallerHome } from '../../agent/takeover/bring-home.ts';
import { holdWithTopology, type TopologyMemory } from '../../agent/transfer/hold/choose-topology.ts';
import { DestinationGone } from '../../agent/transfer/hold/move-topology.ts';
import type { TopologyDeps } from '../../agent/transfer/hold/topology.ts';
import { TRACK_WAIT_MS } from '../../agent/transfer/hold/tracks.ts';

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
      calls.push(['createRoom', name]);
      fail('createRoom');
    },
    async deleteRoom(name) {
      calls.push(['deleteRoom', name]);
      fail('deleteRoom');
    },
    async removeParticipant(room, identity) {
      calls.push(['removeParticipant', room, identity]);
      fail('removeParticipant');
    },
    async moveParticipant(room, identity, to) {
      calls.push(['moveParticipant', room, identity, to]);
      fail('moveParticipant');
    },
  };
  const muted: boolean[] = [];
  // Rooms emit events (key presses, arrivals) like the real ones.
  const fakeRoom = (name: string) =>
    Object.assign(new EventEmitter(), {
      name,
      remoteParticipants: new Map(),
      localParticipant: { publishTrack: async () => ({ sid: `TR_${name}` }), unpublishTrack: async () => undefined },
      disconnect: async () => void calls.push(['disconnect', name]),
    }) as unknown as Room;
  const deps: TopologyDeps = {
    caller: { room: fakeRoom('call-room'), identity: 'sip_caller', muteAgent: (m) => void muted.push(m) },
    api,
    music: {
      async play(room) {
        calls.push(['play', room.name!]);
        return { stop: async () => void calls.push(['stop']) };
      },
    },
  };
  return { calls, muted, deps, fakeRoom };
}

const notImplemented = () => Object.assign(new Error('twirp error unimplemented: not implemented'), { code: 'unimplemented' });
const notFound = () => Object.assign(new Error('participant not found'), { status: 404 });
const consultation = { name: 'wt-consult' } as unknown as Room;
/** A server URL of the test's own. */
const server = (name: string) => `wss://${name}-${randomUUID()}.test`;
/** What servers taught, kept in memory (in production, in the worker's Redis: topology-memory-redis). */
function memoryOfOwn(): TopologyMemory & { taught: Map<string, 'move' | 'bridge'> } {
  const taught = new Map<string, 'move' | 'bridge'>();
  return { taught, recall: async (url) => taught.get(url), learn: async (url, kind) => void taught.set(url, kind) };
}
/** The server's answer to "who is in this room", per room. */
const whoIsIn = (rooms: Record<string, string[] | 'no_room'>) => async (room: string) => rooms[room] ?? 'no_room';

afterEach(() => vi.useRealTimers());

describe('the Cloud (move) topology against RoomService', () => {
  it('holds the caller in their own room, and connects by moving the person into it: one move, no room made', async () => {
    const { calls, muted, deps } = recorder();
    const topology = await holdWithTopology('move', server('cloud'), deps);
    await topology.connect(consultation, 'transfer-destination');
    expect(calls).toEqual([['play', 'call-room'], ['moveParticipant', 'wt-consult', 'transfer-destination', 'call-room'], ['stop']]);
    expect(muted).toEqual([true]);
    expect(topology.kind).toBe('move');
    expect(topology.personRoomName).toBe('call-room');
  });

  it('takes the caller off hold without any move: they never left', async () => {
    const { calls, muted, deps } = recorder();
    const topology = await holdWithTopology('move', server('cloud'), deps);
    calls.length = 0;
    await topology.unhold();
    await topology.close();
    expect(calls).toEqual([['stop']]);
    expect(muted).toEqual([true, false]);
  });

  it('a move that answered an error but happened (a replay finds nobody) is taken as done, after asking the server', async () => {
    const { calls, deps } = recorder({ moveParticipant: [notFound()] });
    deps.api.participantIdentities = whoIsIn({ 'wt-consult': ['warm-transfer-agent'], 'call-room': ['sip_caller', 'transfer-destination'] });
    const topology = await holdWithTopology('move', server('cloud'), deps);
    await topology.connect(consultation, 'transfer-destination');
    expect(calls.filter(([m]) => m === 'moveParticipant')).toHaveLength(1);
    expect(topology.kind).toBe('move');
  });

  it('a move that failed with the person still in the consultation room is tried again', async () => {
    const { calls, deps } = recorder({ moveParticipant: [Object.assign(new Error('unavailable'), { status: 503 })] });
    deps.api.participantIdentities = whoIsIn({ 'wt-consult': ['transfer-destination'], 'call-room': ['sip_caller'] });
    const topology = await holdWithTopology('move', server('cloud'), deps);
    await topology.connect(consultation, 'transfer-destination');
    expect(calls.filter(([m]) => m === 'moveParticipant')).toHaveLength(2);
    expect(topology.personRoomName).toBe('call-room');
  });

  it('a person who hung up mid-move is a destination gone, not a failed bridge, and the caller stays on hold', async () => {
    const { calls, deps } = recorder({ moveParticipant: [notFound()] });
    deps.api.participantIdentities = whoIsIn({ 'wt-consult': ['warm-transfer-agent'], 'call-room': ['sip_caller'] });
    const topology = await holdWithTopology('move', server('cloud'), deps);
    await expect(topology.connect(consultation, 'transfer-destination')).rejects.toBeInstanceOf(DestinationGone);
    expect(topology.personRoomName).toBeUndefined();
    expect(calls).not.toContainEqual(['stop']);
  });

  it('a server that cannot move relays instead, and is remembered as one', async () => {
    vi.useFakeTimers();
    const { calls, deps, fakeRoom } = recorder({ moveParticipant: [notImplemented()] });
    const memory = memoryOfOwn();
    const url = server('self-hosted');
    const topology = await holdWithTopology('auto', url, deps, memory);
    // Not known to move: the relay is made ready while the person is briefed (its tracks published).
    const room = fakeRoom('wt-consult');
    topology.prepare?.(room);
    // The relay needs the person's audio; this one has none, so the fallback fails after its wait.
    const connecting = expect(topology.connect(room, 'transfer-destination')).rejects.toThrow('no audio track');
    await vi.advanceTimersByTimeAsync(TRACK_WAIT_MS);
    await connecting;
    expect(calls.filter(([m]) => m === 'moveParticipant')).toHaveLength(1);
    expect(topology.kind).toBe('bridge');
    expect(memory.taught.get(url)).toBe('bridge');
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
  it('is heard pressing 0 in their own room, where they are held', async () => {
    const { deps } = recorder();
    let stops = 0;
    const hold = new CallerHold({ mode: 'move', serverUrl: server('keys'), topology: deps, speak: async function* () {}, onStopWaiting: () => void stops++ });
    await hold.hold();
    const caller = { identity: 'sip_caller' } as RemoteParticipant;
    deps.caller.room.emit(RoomEvent.DtmfReceived, 5, '5', caller);
    deps.caller.room.emit(RoomEvent.DtmfReceived, 0, '0', { identity: 'someone-else' } as RemoteParticipant);
    expect(stops).toBe(0);
    deps.caller.room.emit(RoomEvent.DtmfReceived, 0, '0', caller);
    expect(stops).toBe(1);
    await hold.unhold();
    deps.caller.room.emit(RoomEvent.DtmfReceived, 0, '0', caller);
    expect(stops).toBe(1);
  });
});

describe('choosing the topology', () => {
  it('a server known not to move gets the bridge: nothing is tried, the relay is made ready', async () => {
    const memory = memoryOfOwn();
    const url = server('self-hosted');
    memory.taught.set(url, 'bridge');
    const { calls, deps } = recorder();
    const topology = await holdWithTopology('auto', url, deps, memory);
    expect(topology.kind).toBe('bridge');
    expect(calls).toEqual([['play', 'call-room']]);
  });

  it('a server known to move publishes no relay at the answer; one not known yet does', async () => {
    const published: string[] = [];
    for (const known of [true, false]) {
      const memory = memoryOfOwn();
      const url = server('cloud');
      if (known) memory.taught.set(url, 'move');
      const { deps, fakeRoom } = recorder();
      const topology = await holdWithTopology('auto', url, deps, memory);
      const room = fakeRoom('wt-consult');
      (room.localParticipant as unknown as { publishTrack: () => Promise<{ sid: string }> }).publishTrack = async () => {
        published.push(known ? 'known' : 'unknown');
        return { sid: 'TR_x' };
      };
      topology.prepare?.(room);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await topology.close();
    }
    expect(published).toEqual(['unknown']);
  });

  it('a first successful move teaches the server as one that moves', async () => {
    const memory = memoryOfOwn();
    const url = server('cloud');
    const { deps } = recorder();
    const topology = await holdWithTopology('auto', url, deps, memory);
    await topology.connect(consultation, 'transfer-destination');
    expect(memory.taught.get(url)).toBe('move');
  });

  it('a hold whose music cannot start leaves the caller with their agent, not muted in silence', async () => {
    for (const mode of ['bridge', 'move'] as const) {
      const { muted, deps } = recorder();
      deps.music = { play: async () => Promise.reject(new Error('publish failed')) };
      await expect(holdWithTopology(mode, server('no-music'), deps)).rejects.toThrow('publish failed');
      expect(muted).toEqual([true, false]);
    }
  });
});
