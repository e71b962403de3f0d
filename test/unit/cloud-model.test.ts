// The Cloud model itself: each of LiveKit Cloud's room rules it stands in for, applied to calls made straight at
// it (the product's transfer code runs against it elsewhere). Timeouts are a few tens of milliseconds.
import { DisconnectReason, RoomEvent, type Participant, type RemoteParticipant, type Room } from '@livekit/rtc-node';
import { ServerError } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { isNotImplemented } from '../../agent/livekit/room-api.ts';
import type { DialRequest } from '../../agent/transfer/dial/dial.ts';
import { CloudModel, notFound } from '../support/cloud-model/index.ts';

const DEPARTURE_MS = 40;
const EMPTY_MS = 60;
let model: CloudModel;

function startCloud(): CloudModel {
  model = new CloudModel({ departureTimeoutMs: DEPARTURE_MS, emptyTimeoutMs: EMPTY_MS });
  return model;
}

afterEach(() => model.close());

/** What a job's Room emitted, one line per event. */
function eventsOf(room: Room): string[] {
  const lines: string[] = [];
  room.on(RoomEvent.ParticipantConnected, (p: RemoteParticipant) => lines.push(`connected ${p.identity} ${p.sid}`));
  room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => lines.push(`disconnected ${p.identity} ${p.sid}`));
  room.on(RoomEvent.ParticipantAttributesChanged, (changed: Record<string, string>, p: Participant) =>
    lines.push(`attributes ${p.identity} ${JSON.stringify(changed)}`),
  );
  room.on(RoomEvent.DtmfReceived, (code: number, digit: string, p: RemoteParticipant) => lines.push(`key ${code} ${digit} ${p.identity}`));
  room.on(RoomEvent.Disconnected, (reason: DisconnectReason) => lines.push(`room gone ${DisconnectReason[reason]}`));
  return lines;
}

/** Which ServerError status a call failed with. */
async function statusOf(call: Promise<unknown>): Promise<number | string> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof ServerError ? error.status : String(error);
}

const dialRequest = (room: string, identity = 'transfer-destination') =>
  ({ room, identity, fromNumber: undefined, ringingTimeoutMs: 30_000 }) as unknown as DialRequest;

describe('rooms closing', () => {
  it('closes a room after the departure timeout once only agents are left, and disconnects them', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const room = await cloud.join('job-1', 'call-room');
    expect([...room.remoteParticipants.keys()]).toEqual(['sip_caller']);
    const events = eventsOf(room);
    cloud.hangUp('sip_caller');
    await cloud.settle();
    expect(events).toEqual([`disconnected sip_caller PA_1`]);
    expect(cloud.isOpen('call-room')).toBe(true);
    await cloud.settle(DEPARTURE_MS + 20);
    expect(cloud.isOpen('call-room')).toBe(false);
    expect(events.at(-1)).toBe('room gone ROOM_DELETED');
    expect(room.remoteParticipants.size).toBe(0);
    expect(cloud.log).toContain('close call-room (departure timeout, agents disconnected: warm-transfer-agent)');
    expect(await cloud.api('job-1').participantIdentities!('call-room')).toBe('no_room');
  });

  it('keeps the room open when a non-agent comes back before the departure timeout', async () => {
    // A longer timeout of its own: the move back must land before it even on a busy machine.
    const cloud = (model = new CloudModel({ departureTimeoutMs: 300 }));
    cloud.callRoom('call-room', 'sip_caller');
    await cloud.join('job-1', 'call-room');
    const api = cloud.api('job-1');
    await api.createRoom('hold', { emptyTimeoutS: 30, maxParticipants: 3 });
    await api.moveParticipant('call-room', 'sip_caller', 'hold');
    await cloud.settle(5);
    await api.moveParticipant('hold', 'sip_caller', 'call-room');
    await cloud.settle(320);
    expect(cloud.isOpen('call-room')).toBe(true);
    expect(cloud.where('sip_caller')).toBe('call-room');
    // The hold room had a non-agent in it, and has nobody now: it closed at its departure timeout.
    expect(cloud.isOpen('hold')).toBe(false);
  });

  it('closes a room no non-agent ever joined at its empty timeout, agents or not, unless one arrives', async () => {
    const cloud = startCloud();
    const api = cloud.api('job-1');
    await api.createRoom('empty', { emptyTimeoutS: 60, maxParticipants: 3 });
    await api.createRoom('agent-only', { emptyTimeoutS: 60, maxParticipants: 3 });
    await api.createRoom('dialled', { emptyTimeoutS: 60, maxParticipants: 3 });
    const agentOnly = eventsOf(await cloud.join('job-1', 'agent-only'));
    await cloud.join('job-1', 'dialled');
    await cloud.dialer('job-1')(dialRequest('dialled'), new AbortController().signal);
    await cloud.settle(EMPTY_MS + 20);
    expect([cloud.isOpen('empty'), cloud.isOpen('agent-only'), cloud.isOpen('dialled')]).toEqual([false, false, true]);
    expect(agentOnly).toEqual(['room gone ROOM_DELETED']);
  });

  it('creating a room that exists changes nothing; joining one that does not creates it', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    await cloud.api('job-1').createRoom('call-room', { emptyTimeoutS: 1, maxParticipants: 1 });
    expect(cloud.participants('call-room')).toEqual(['sip_caller']);
    await cloud.join('job-1', 'new-room');
    expect(cloud.participants('new-room')).toEqual(['warm-transfer-agent']);
  });

  it('deleting a room ends everyone in it; a missing room answers 404, or no_room when listed', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const events = eventsOf(await cloud.join('job-1', 'call-room'));
    const api = cloud.api('job-1');
    await api.deleteRoom('call-room');
    await cloud.settle();
    expect(cloud.where('sip_caller')).toBeUndefined();
    expect(events).toEqual(['room gone ROOM_DELETED']);
    expect(await statusOf(api.deleteRoom('call-room'))).toBe(404);
    expect(await statusOf(api.removeParticipant('call-room', 'sip_caller'))).toBe(404);
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'elsewhere'))).toBe(404);
    expect(await api.participantIdentities!('nowhere')).toBe('no_room');
  });

  it('a second join with the same identity closes the first one', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const first = eventsOf(await cloud.join('job-1', 'call-room'));
    await cloud.join('job-2', 'call-room');
    await cloud.settle();
    expect(first).toEqual(['room gone DUPLICATE_IDENTITY']);
    expect(cloud.participants('call-room')).toEqual(['sip_caller', 'warm-transfer-agent']);
  });
});

describe('moves', () => {
  async function twoRooms() {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const from = await cloud.join('job-1', 'call-room');
    const api = cloud.api('job-1');
    await api.createRoom('wt-x', { emptyTimeoutS: 60, maxParticipants: 3 });
    const to = await cloud.join('job-1', 'wt-x');
    return { cloud, api, from, to, fromEvents: eventsOf(from), toEvents: eventsOf(to) };
  }

  it('keeps the identity and gives a new SID: the old room sees it leave, the new one sees it arrive', async () => {
    const { cloud, api, from, to, fromEvents, toEvents } = await twoRooms();
    const before = cloud.sidOf('sip_caller');
    await api.moveParticipant('call-room', 'sip_caller', 'wt-x');
    await cloud.settle();
    const after = cloud.sidOf('sip_caller');
    expect(after).not.toBe(before);
    expect(fromEvents).toEqual([`disconnected sip_caller ${before}`]);
    expect(toEvents).toEqual([`connected sip_caller ${after}`]);
    expect([from.remoteParticipants.has('sip_caller'), to.remoteParticipants.get('sip_caller')?.sid]).toEqual([false, after]);
    expect(cloud.log).toContain(`move sip_caller call-room -> wt-x (sid ${before} -> ${after})`);
  });

  it('a move applied on the server that still answers an error leaves the participant moved, and its replay answers 404', async () => {
    const { cloud, api } = await twoRooms();
    cloud.failNextMoveAfterApplying();
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'wt-x'))).toBe(503);
    expect(cloud.where('sip_caller')).toBe('wt-x');
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'wt-x'))).toBe(404);
    expect(cloud.where('sip_caller')).toBe('wt-x');
    // What a replaying client (livekit-server-sdk 2.17+) finally sees, scripted the same way.
    cloud.failNextMoveAfterApplying(notFound('participant not found: sip_caller'));
    expect(await statusOf(api.moveParticipant('wt-x', 'sip_caller', 'call-room'))).toBe(404);
    expect(cloud.where('sip_caller')).toBe('call-room');
  });

  it('a move that fails before applying leaves the participant where it was', async () => {
    const { cloud, api } = await twoRooms();
    cloud.failNext('moveParticipant');
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'wt-x'))).toBe(503);
    expect(cloud.where('sip_caller')).toBe('call-room');
  });

  it('any RoomService call can be made to fail once with an error of the test', async () => {
    const { cloud, api } = await twoRooms();
    cloud.failNext('createRoom', new Error('quota'));
    await expect(api.createRoom('wt-y', { emptyTimeoutS: 60, maxParticipants: 3 })).rejects.toThrow('quota');
    expect(cloud.isOpen('wt-y')).toBe(false);
    await api.createRoom('wt-y', { emptyTimeoutS: 60, maxParticipants: 3 });
    expect(cloud.isOpen('wt-y')).toBe(true);
  });

  it('answers 404 for a participant who hung up, for a missing destination, and refuses to move an agent', async () => {
    const { cloud, api } = await twoRooms();
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'no-such-room'))).toBe(404);
    expect(cloud.where('sip_caller')).toBe('call-room');
    expect(await statusOf(api.moveParticipant('call-room', 'warm-transfer-agent', 'wt-x'))).toBe(412);
    cloud.hangUp('sip_caller');
    expect(await statusOf(api.moveParticipant('call-room', 'sip_caller', 'wt-x'))).toBe(404);
    expect(await statusOf(api.removeParticipant('call-room', 'sip_caller'))).toBe(404);
  });

  it('answers every move "not implemented" as the open-source server does', async () => {
    const { cloud, api } = await twoRooms();
    cloud.refuseMoves();
    const error = await api.moveParticipant('call-room', 'sip_caller', 'wt-x').catch((e: unknown) => e);
    expect(isNotImplemented(error)).toBe(true);
    expect(cloud.where('sip_caller')).toBe('call-room');
  });
});

describe('jobs', () => {
  it("a killed job's agents leave at once, its Rooms hear nothing more, and its calls are refused", async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const dying = eventsOf(await cloud.join('job-1', 'call-room'));
    const other = eventsOf(await cloud.join('job-2', 'call-room', 'takeover-agent'));
    cloud.kill('job-1');
    cloud.hangUp('sip_caller');
    await cloud.settle(DEPARTURE_MS + 20);
    // It heard the second job arrive while alive, and nothing after its death.
    expect(dying).toEqual(['connected takeover-agent PA_3']);
    expect(other).toEqual(['disconnected warm-transfer-agent PA_2', 'disconnected sip_caller PA_1', 'room gone ROOM_DELETED']);
    await expect(cloud.api('job-1').createRoom('r', { emptyTimeoutS: 1, maxParticipants: 1 })).rejects.toThrow('process dead');
    await expect(cloud.join('job-1', 'r')).rejects.toThrow('process dead');
    await expect(cloud.dialer('job-1')(dialRequest('r'), new AbortController().signal)).rejects.toThrow('process dead');
  });

  it('a call room left with only a killed job starts to close when the job dies', async () => {
    const cloud = startCloud();
    await cloud.join('job-1', 'call-room');
    cloud.callRoom('call-room', 'sip_caller');
    const api = cloud.api('job-1');
    await api.createRoom('hold', { emptyTimeoutS: 30, maxParticipants: 3 });
    await api.moveParticipant('call-room', 'sip_caller', 'hold');
    cloud.kill('job-1');
    expect(cloud.participants('call-room')).toEqual([]);
    await cloud.settle(DEPARTURE_MS + 20);
    expect(cloud.isOpen('call-room')).toBe(false);
    expect(cloud.where('sip_caller')).toBe('hold');
  });

  it("records what a job's Room publishes and sends, and leaves the room on disconnect", async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const room = await cloud.join('job-1', 'call-room');
    const { sid } = await room.localParticipant!.publishTrack({ name: 'hold-music' } as never, {} as never);
    expect(cloud.published('call-room')).toEqual(['hold-music']);
    await room.localParticipant!.unpublishTrack(sid!);
    expect(cloud.published('call-room')).toEqual([]);
    await room.localParticipant!.publishDtmf(11, '#');
    expect(cloud.heard('sip_caller')).toEqual(['#']);
    const events = eventsOf(room);
    await room.disconnect();
    await cloud.settle();
    expect(events).toEqual(['room gone CLIENT_INITIATED']);
    expect(cloud.participants('call-room')).toEqual(['sip_caller']);
    await expect(room.localParticipant!.publishDtmf(1, '1')).rejects.toThrow('no longer in call-room');
  });
});

describe('phones', () => {
  it('rings, then answers: the Room sees the SIP status change, and the dial succeeds', async () => {
    const cloud = startCloud();
    const room = await cloud.join('job-1', 'wt-x');
    const events = eventsOf(room);
    const result = await cloud.dialer('job-1')(dialRequest('wt-x'), new AbortController().signal);
    await cloud.settle();
    expect(result).toEqual({ ok: true });
    expect(events).toEqual([
      `connected transfer-destination ${cloud.sidOf('transfer-destination')}`,
      'attributes transfer-destination {"sip.callStatus":"ringing"}',
      'attributes transfer-destination {"sip.callStatus":"active"}',
    ]);
    expect(room.remoteParticipants.get('transfer-destination')?.attributes['sip.callStatus']).toBe('active');
  });

  it.each([
    ['busy', { ok: false, reason: 'busy', sipStatus: 486 }],
    ['no_answer', { ok: false, reason: 'no_answer', sipStatus: 480 }],
    ['decline', { ok: false, reason: 'declined', sipStatus: 603 }],
  ] as const)('a phone that answers %s leaves the room, and the dial says why', async (answer, expected) => {
    const cloud = startCloud();
    await cloud.join('job-1', 'wt-x');
    cloud.phone('transfer-destination', answer, 5);
    const result = await cloud.dialer('job-1')(dialRequest('wt-x'), new AbortController().signal);
    expect(result).toMatchObject(expected);
    expect(cloud.where('transfer-destination')).toBeUndefined();
  });

  it('fails a dial into a room that does not exist, and hangs up a ringing leg on abort', async () => {
    const cloud = startCloud();
    const dial = cloud.dialer('job-1');
    expect(await dial(dialRequest('nowhere'), new AbortController().signal)).toMatchObject({ ok: false, reason: 'dial_failed' });
    await cloud.join('job-1', 'wt-x');
    cloud.phone('transfer-destination', 'answer', 1_000);
    const abort = new AbortController();
    const ringing = dial(dialRequest('wt-x'), abort.signal);
    expect(cloud.where('transfer-destination')).toBe('wt-x');
    abort.abort(new Error('transfer cancelled'));
    await expect(ringing).rejects.toThrow('transfer cancelled');
    expect(cloud.where('transfer-destination')).toBeUndefined();
  });

  it('delivers a key pressed on a phone to the agents in its room, and nowhere else', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    const callRoom = eventsOf(await cloud.join('job-1', 'call-room'));
    const elsewhere = eventsOf(await cloud.join('job-1', 'wt-x'));
    for (const digit of ['5', '*', '#']) cloud.press('sip_caller', digit);
    await cloud.settle();
    expect(callRoom).toEqual(['key 5 5 sip_caller', 'key 10 * sip_caller', 'key 11 # sip_caller']);
    expect(elsewhere).toEqual([]);
  });

  it('two participants hear each other only in the same open room', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    await cloud.join('job-1', 'wt-x');
    await cloud.dialer('job-1')(dialRequest('wt-x'), new AbortController().signal);
    expect(cloud.together('sip_caller', 'transfer-destination')).toBe(false);
    await cloud.api('job-1').moveParticipant('wt-x', 'transfer-destination', 'call-room');
    expect(cloud.together('sip_caller', 'transfer-destination')).toBe(true);
  });
});

describe('the model', () => {
  it('stops its timers on close: nothing happens after it', async () => {
    const cloud = startCloud();
    cloud.callRoom('call-room', 'sip_caller');
    await cloud.join('job-1', 'call-room');
    cloud.hangUp('sip_caller');
    cloud.close();
    await cloud.settle(DEPARTURE_MS + 20);
    expect(cloud.isOpen('call-room')).toBe(true);
  });
});
