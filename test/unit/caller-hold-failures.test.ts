// The caller's hold when things go wrong: a connect that fails leaves the caller on hold (with music) so
// the failure path can bring them back, on both topologies; and a caller who hangs up is noticed in their
// room, also when no transfer is listening (between two destinations).
import { randomUUID } from 'node:crypto';
import { RoomEvent, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CallerHold } from '../../agent/transfer/hold/caller-hold.ts';
import type { TopologyDeps } from '../../agent/transfer/hold/topology.ts';
import { TRACK_WAIT_MS } from '../../agent/transfer/hold/tracks.ts';
import { fakeMusic, fakeParticipant, fakeRoom, fakeRoomApi, withoutUuid as short } from '../support/fakes/index.ts';

/** A room whose leaving is logged; `participants` are identities, each with an audio track or without. */
function room(name: string, log: string[], participants: Array<[string, boolean]> = []): Room {
  return fakeRoom(name, {
    participants: participants.map(([identity, hasAudio]) => fakeParticipant(identity, hasAudio ? 'audio' : [])),
    onEffect: (effect) => void (effect.kind === 'disconnect' && log.push(`disconnect ${short(name)}`)),
  });
}

function setup(moveToConsultationFails = false) {
  const log: string[] = [];
  const muted: boolean[] = [];
  const api = fakeRoomApi(([method, name, , to]) => {
    if (method === 'createRoom') log.push(`create ${short(name!)}`);
    if (method === 'deleteRoom') log.push(`delete ${short(name!)}`);
    if (method !== 'moveParticipant') return;
    log.push(`move ${short(name!)} -> ${short(to!)}`);
    if (moveToConsultationFails && name === 'wt-consult') throw new Error('move refused');
  });
  const deps: TopologyDeps = {
    caller: { room: room('call-room', log, [['sip_caller', true]]), identity: 'sip_caller', muteAgent: (m) => void muted.push(m) },
    api,
    music: fakeMusic({ onPlay: (r) => void log.push(`music on ${short(r.name!)}`), onStop: () => void log.push('music off') }),
  };
  const hold = (mode: 'move' | 'bridge') =>
    new CallerHold({ mode, serverUrl: `wss://${randomUUID()}.test`, topology: deps, speak: async function* () {}, onStopWaiting: () => undefined });
  return { log, muted, deps, hold };
}

afterEach(() => vi.useRealTimers());

describe('a bridge that fails', () => {
  it('on Cloud: a person who cannot be moved, nor relayed, leaves the caller on hold at home, with nobody to move back', async () => {
    vi.useFakeTimers();
    const { log, muted, hold: make } = setup(true);
    const hold = make('move');
    await hold.hold();
    expect(log).toEqual(['music on call-room']);
    // Every move refused; the relay the connect falls back to finds no audio from the person either.
    const connecting = hold.connect(room('wt-consult', log, [['transfer-destination', false]]), 'transfer-destination');
    const failed = expect(connecting).rejects.toThrow('no audio track');
    await vi.advanceTimersByTimeAsync(2000 + TRACK_WAIT_MS);
    await failed;
    expect(hold.holding).toBe(true);
    expect(log.filter((line) => line.startsWith('move'))).toEqual(Array(3).fill('move wt-consult -> call-room'));
    log.length = 0;
    await hold.unhold();
    await hold.close();
    expect(log).toEqual(['music off']);
    expect(muted).toEqual([true, false]);
  });

  it('self-hosted: the caller keeps the music until unhold gives them their agent back', async () => {
    vi.useFakeTimers();
    const { log, muted, hold: make } = setup();
    const hold = make('bridge');
    await hold.hold();
    // The destination has no audio to relay: the bridge gives up after its wait.
    const connecting = hold.connect(room('wt-consult', [], [['transfer-destination', false]]), 'transfer-destination');
    const failed = expect(connecting).rejects.toThrow('no audio track');
    await vi.advanceTimersByTimeAsync(TRACK_WAIT_MS);
    await failed;
    expect(hold.holding).toBe(true);
    expect(log).not.toContain('music off');
    await hold.unhold();
    expect(log.at(-1)).toBe('music off');
    expect(muted).toEqual([true, false]);
  });

  it('refuses to connect a caller who was never put on hold, with a clear error', async () => {
    const { hold: make } = setup();
    await expect(make('bridge').connect(room('wt-consult', []), 'transfer-destination')).rejects.toThrow('not on hold');
  });
});

describe('the caller hanging up while on hold', () => {
  const caller = { identity: 'sip_caller' } as RemoteParticipant;

  it('self-hosted: is seen in the caller room, with or without a transfer listening', async () => {
    const { deps, hold: make } = setup();
    const hold = make('bridge');
    await hold.hold();
    deps.caller.room.emit(RoomEvent.ParticipantDisconnected, { identity: 'someone-else' } as RemoteParticipant);
    expect(hold.callerLeft).toBe(false);
    deps.caller.room.emit(RoomEvent.ParticipantDisconnected, caller);
    expect(hold.callerLeft).toBe(true);
    await expect(hold.callerGone).resolves.toBeUndefined();
  });

  it('on Cloud: is seen in the caller room too, where they are held', async () => {
    const { deps, hold: make } = setup();
    const hold = make('move');
    await hold.hold();
    deps.caller.room.emit(RoomEvent.ParticipantDisconnected, caller);
    expect(hold.callerLeft).toBe(true);
  });
});
