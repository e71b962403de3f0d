// The forwarder at the phones: two SIPp phones, each dialled by the server into a room of its own, bridged by
// the forwarder binary (forwarder/) carrying encoded audio both ways. Each phone sends its own tone, so "hears
// the other phone" is told by pitch. Also its keys, the events it reports (ready, left, stopped, room_closed,
// errors), that bad input does not kill it, and what one bridged call costs it (printed, not asserted).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AccessToken, SipClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCallee, type Phone } from '../../phones/index.ts';
import { roomService } from '../support/calls.ts';
import { ForwarderProcess, type ForwarderEvent } from '../support/forwarder-process.ts';
import { eventually } from '../support/rooms.ts';
import { DESTINATION_NUMBER, PBX_PORT, PSTN_PORT } from '../support/transfer-call.ts';

const stack = inject('stack');
const A_TONE_HZ = 600;
const B_TONE_HZ = 1000;
const IDENTITY = 'wt-forwarder';
const run = Date.now();
const roomA = `fwd-a-${run}`;
const roomB = `fwd-b-${run}`;

let phoneA: Phone | undefined;
let phoneB: Phone | undefined;
let forwarder: ForwarderProcess | undefined;
let dialled = 0;

async function token(room: string, identity = IDENTITY): Promise<string> {
  const at = new AccessToken(stack.apiKey, stack.apiSecret, { identity, ttl: '10m' });
  at.kind = 'agent';
  at.addGrant({ roomJoin: true, room, canPublish: true, canSubscribe: true, canPublishData: true });
  return at.toJwt();
}

async function bridgeCommand(id: string, a: { room: string; from: string; identity?: string }, b: { room: string; from: string; identity?: string }) {
  return {
    op: 'bridge',
    id,
    url: stack.livekitUrl,
    a: { room: a.room, token: await token(a.room, a.identity), from: a.from },
    b: { room: b.room, token: await token(b.room, b.identity), from: b.from },
  };
}

const is =
  (event: string, id?: string) =>
  (e: ForwarderEvent): boolean =>
    e.event === event && (id === undefined || e.id === id);

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15; the name in field 2 may hold spaces). */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function memoryMb(pid: number): { rssMb: number; peakRssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: Math.round(kb('VmRSS') / 102.4) / 10, peakRssMb: Math.round(kb('VmHWM') / 102.4) / 10 };
}

/** Resolves once `phone` has heard mostly `hz` over the last second; returns when. */
function hearsTone(phone: Phone, hz: number, ms: number): Promise<number> {
  return phone.received.waitUntil(
    () => {
      const now = Date.now();
      return phone.received.toneRatio(hz, now - 1000, now) > 0.5 ? now : undefined;
    },
    ms,
    () =>
      `no ${hz} Hz tone (last second: ratio ${phone.received.toneRatio(hz, Date.now() - 1000).toFixed(2)}, rms ${phone.received.rms(Date.now() - 1000).toFixed(0)})`,
  );
}

beforeAll(async () => {
  [phoneA, phoneB] = await Promise.all([
    startCallee({ port: PSTN_PORT, ringMs: 0, audio: { tone: A_TONE_HZ }, name: 'forwarder-a' }),
    startCallee({ port: PBX_PORT, ringMs: 0, audio: { tone: B_TONE_HZ }, name: 'forwarder-b' }),
  ]);
  const sip = new SipClient(stack.livekitUrl.replace(/^ws/, 'http'), stack.apiKey, stack.apiSecret);
  await Promise.all([
    sip.createSipParticipant(stack.pstnTrunkId, DESTINATION_NUMBER, roomA, { participantIdentity: 'phone-a', waitUntilAnswered: true }),
    sip.createSipParticipant(stack.pbxTrunkId, '2001', roomB, { participantIdentity: 'phone-b', waitUntilAnswered: true }),
  ]);
  dialled = Date.now();
  forwarder = ForwarderProcess.start({ logFile: join(stack.logDir, 'forwarder.log') });
});

afterAll(async () => {
  await forwarder?.kill();
  const rooms = roomService(stack);
  await Promise.all([roomA, roomB].map((room) => rooms.deleteRoom(room).catch(() => undefined)));
  await Promise.all([phoneA?.close(), phoneB?.close()]);
});

describe('the forwarder', () => {
  it('answers bad input with an error and carries on', async () => {
    const f = forwarder!;
    for (const line of ['not json', '[1,2]', '{"op":"fly"}', '{"op":"bridge","id":"half"}', '{"op":"stats","id":"nobody"}']) {
      await f.request(line, is('error'), 2000, `an error for ${line}`);
    }
    expect((await f.request({ op: 'ping' }, is('pong'), 2000, 'pong')).event.bridges).toBe(0);
    // A token the server refuses: that bridge is reported and dropped, nothing else.
    const refused = await f.request(
      {
        op: 'bridge',
        id: 'refused',
        url: stack.livekitUrl,
        a: { room: roomA, token: 'not-a-jwt', from: 'phone-a' },
        b: { room: roomB, token: 'nor-this', from: 'phone-b' },
      },
      is('error', 'refused'),
      10_000,
      'an error for a refused token',
    );
    expect(String(refused.event.message)).toMatch(/joining/);
    expect((await f.request({ op: 'ping' }, is('pong'), 2000, 'pong')).event.bridges).toBe(0);
    expect(f.running).toBe(true);
  });

  it('bridges the two phones: each hears the other, and keys pressed on one reach the other', async () => {
    const f = forwarder!;
    const asked = Date.now();
    const ready = await f.request(
      await bridgeCommand('call', { room: roomA, from: 'phone-a' }, { room: roomB, from: 'phone-b' }),
      is('ready', 'call'),
      10_000,
      'ready',
    );
    // Before the bridge, neither phone heard the other's tone: what they hear next came through the forwarder.
    expect(phoneA!.received.toneRatio(B_TONE_HZ, dialled, asked)).toBeLessThan(0.1);
    expect(phoneB!.received.toneRatio(A_TONE_HZ, dialled, asked)).toBeLessThan(0.1);

    const [aHeard, bHeard] = await Promise.all([hearsTone(phoneA!, B_TONE_HZ, 8000), hearsTone(phoneB!, A_TONE_HZ, 8000)]);
    expect(phoneA!.received.toneRatio(A_TONE_HZ, aHeard - 1000, aHeard)).toBeLessThan(0.1);
    expect(phoneB!.received.toneRatio(B_TONE_HZ, bHeard - 1000, bHeard)).toBeLessThan(0.1);
    // First sound after ready at each phone (the tone checks above need about half a second of it).
    const firstSound = (phone: Phone) => (phone.received.firstTimeAbove(300, ready.at) ?? NaN) - ready.at;
    console.log(JSON.stringify({ forwarderBridge: { readyMs: ready.at - asked, aFirstSoundMs: firstSound(phoneA!), bFirstSoundMs: firstSound(phoneB!) } }));

    // Keys: phone A's reach phone B (its PBX or IVR hears them), and phone B's reach phone A.
    await phoneA!.press('5');
    await phoneB!.received.waitForDtmf('5', 5000);
    await phoneB!.press('7');
    await phoneA!.received.waitForDtmf('7', 5000);
    const stats = (await f.request({ op: 'stats', id: 'call' }, is('stats', 'call'), 2000, 'stats')).event;
    expect(stats).toMatchObject({ aToB: { dtmf: 1 }, bToA: { dtmf: 1 } });
  });

  it('costs little to carry one call (printed, not asserted)', async () => {
    const f = forwarder!;
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const statsOf = async () =>
      (await f.request({ op: 'stats', id: 'call' }, is('stats', 'call'), 2000, 'stats')).event as unknown as Record<
        'aToB' | 'bToA',
        { packets: number; bytes: number }
      >;
    const before = { at: Date.now(), cpu: cpuSeconds(f.pid, ticks), stats: await statsOf() };
    await new Promise((r) => setTimeout(r, 10_000));
    const after = { at: Date.now(), cpu: cpuSeconds(f.pid, ticks), stats: await statsOf() };
    const seconds = (after.at - before.at) / 1000;
    const perSecond = (dir: 'aToB' | 'bToA') => Math.round((after.stats[dir].packets - before.stats[dir].packets) / seconds);
    const measured = {
      forwarder: {
        bridges: 1,
        seconds: Math.round(seconds * 10) / 10,
        cpuCores: Math.round(((after.cpu - before.cpu) / seconds) * 1000) / 1000,
        ...memoryMb(f.pid),
        packetsPerSecond: { aToB: perSecond('aToB'), bToA: perSecond('bToA') },
        payloadKbps: {
          aToB: Math.round(((after.stats.aToB.bytes - before.stats.aToB.bytes) * 8) / seconds / 100) / 10,
          bToA: Math.round(((after.stats.bToA.bytes - before.stats.bToA.bytes) * 8) / seconds / 100) / 10,
        },
      },
    };
    console.log(JSON.stringify(measured));
    // Not a timing target, only that packets flowed both ways all along.
    expect(measured.forwarder.packetsPerSecond.aToB).toBeGreaterThan(0);
    expect(measured.forwarder.packetsPerSecond.bToA).toBeGreaterThan(0);
  });

  it('reports a phone hanging up within 2 s, and leaves both rooms on stop', async () => {
    const f = forwarder!;
    const from = f.events.length;
    const hangingUp = Date.now();
    await phoneB!.hangup();
    const left = await f.waitFor(is('left', 'call'), 2000, 'left', from);
    expect(left.event).toMatchObject({ room: roomB, identity: 'phone-b' });
    console.log(JSON.stringify({ forwarderLeftMs: left.at - hangingUp }));
    expect(f.events.slice(from).filter((e) => e.event.event === 'left')).toHaveLength(1);

    await f.request({ op: 'stop', id: 'call' }, is('stopped', 'call'), 5000, 'stopped');
    const rooms = roomService(stack);
    const present = async (room: string) => (await rooms.listParticipants(room).catch(() => [])).some((p) => p.identity === IDENTITY);
    await eventually(async () => !(await present(roomA)) && !(await present(roomB)), 5000, 'the forwarder gone from both rooms');
    // stop is idempotent.
    await f.request({ op: 'stop', id: 'call' }, is('stopped', 'call'), 2000, 'stopped again');
    expect((await f.request({ op: 'ping' }, is('pong'), 2000, 'pong')).event.bridges).toBe(0);
  });

  it('reports a room closed under a bridge, and exits 0 when its input ends', async () => {
    const f = forwarder!;
    // A bridge from room A into itself (two identities): the quickest way to have one standing when its room
    // is deleted, phone A being the only phone left.
    const a = { room: roomA, from: 'phone-a', identity: `${IDENTITY}-x` };
    const b = { room: roomA, from: 'phone-a', identity: `${IDENTITY}-y` };
    await f.request(await bridgeCommand('loop', a, b), is('ready', 'loop'), 10_000, 'ready');
    const from = f.events.length;
    await roomService(stack).deleteRoom(roomA);
    const closed = await f.waitFor(is('room_closed', 'loop'), 2000, 'room_closed', from);
    expect(closed.event.room).toBe(roomA);
    expect((await f.request({ op: 'ping' }, is('pong'), 2000, 'pong')).event.bridges).toBe(0);

    f.endInput();
    const exit = await Promise.race([f.exited, new Promise<null>((r) => setTimeout(() => r(null), 7000))]);
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
