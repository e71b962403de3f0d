// The floor for the bridge's delay: two SIP phones in one room with nothing of ours between them. Both legs
// are dialled by the server (PSTN trunk → 127.0.0.1:5080, PBX trunk → :5090) into a fresh room; the first
// phone sends tone bursts on its stream's clock, and their arrival at the second is the one-way delay of
// livekit-sip → livekit-server → livekit-sip on this machine. The bridge's figure is measured the same way
// (destination's bursts arriving at the caller), so the difference is what the relay adds.
import { SipClient } from 'livekit-server-sdk';
import { startCallee, type Phone } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import { roomService } from '../support/calls.ts';
import { DESTINATION_NUMBER, PBX_PORT, PSTN_PORT } from '../support/transfer-call.ts';
import { burstCycleFile, burstDelay, burstFile, cycleBurstDelay } from './listen.ts';
import { DESTINATION_BURST_HZ } from './transfers.ts';
import { watchCommands, watchMachine } from './proc.ts';
import { distribution, frameStats, sleep, type Distribution, type FrameStats } from './stats.ts';
import { cpus } from 'node:os';

export interface FloorRun {
  delayMs: number | null;
  bursts: number;
}

export async function floorDelay(stack: StackInfo, seconds = 10): Promise<FloorRun> {
  const room = `bench-floor-${Date.now()}`;
  const sender = await startCallee({ port: PSTN_PORT, ringMs: 0, audio: { file: burstFile(DESTINATION_BURST_HZ) }, name: 'floor-sender' });
  const receiver = await startCallee({ port: PBX_PORT, ringMs: 0, audio: { tone: 700 }, name: 'floor-receiver' });
  const sip = new SipClient(stack.livekitUrl.replace(/^ws/, 'http'), stack.apiKey, stack.apiSecret);
  try {
    await sip.createSipParticipant(stack.pbxTrunkId, '2001', room, { participantIdentity: 'floor-receiver', waitUntilAnswered: true });
    await sip.createSipParticipant(stack.pstnTrunkId, DESTINATION_NUMBER, room, { participantIdentity: 'floor-sender', waitUntilAnswered: true });
    const confirmed = await sender.waitForEvent('confirmed', 5000);
    await sleep(1500);
    const from = Date.now();
    await sleep(seconds * 1000);
    const { medianMs, bursts } = burstDelay(receiver, DESTINATION_BURST_HZ, confirmed.at, from, Date.now());
    return { delayMs: medianMs, bursts };
  } finally {
    await roomService(stack)
      .deleteRoom(room)
      .catch(() => undefined);
    await Promise.all([
      sender.waitForEvent(['bye-received', 'exit'], 5000).catch(() => undefined),
      receiver.waitForEvent(['bye-received', 'exit'], 5000).catch(() => undefined),
    ]);
    await Promise.all([sender.close(), receiver.close()]);
  }
}

/** N two-party calls at once, each in a room of its own, with nothing of ours: the floor of the bridged rows. */
export interface FloorRow {
  concurrent: number;
  /** Pairs dialled, answered and whose receiver heard the bursts. */
  connected: number;
  /** Each pair's median burst delay (sender → receiver), across the pairs. */
  delayMs: Distribution;
  lateFraction: number;
  missingFraction: number;
  /** The whole machine's CPU while the N pairs talked, in cores. */
  machineCores: number;
  /** Where the machine's CPU went, by command (cores). */
  byCommand?: Record<string, number>;
  failedAt?: string;
}

// The pairs are dialled by SIP address (no trunk), each phone on a port of its own.
const FLOOR_SENDER_PORT = 5200;
const FLOOR_RECEIVER_PORT = 5300;
/** A dial with no trunk must name its caller ID. */
const FLOOR_FROM = '+15550199';
type OutboundConfig = NonNullable<Parameters<SipClient['createSipParticipant']>[4]>;
/** UDP (1 in livekit's SIPTransport) to a phone on loopback; a plain object is enough, as in agent/transfer/dial/dial.ts. */
const direct = (port: number) => ({ hostname: `127.0.0.1:${port}`, transport: 1 }) as unknown as OutboundConfig;

interface FloorPair {
  sender: Phone;
  receiver: Phone;
  room: string;
  streamStart?: number;
}

async function connectPair(sip: SipClient, pair: FloorPair, i: number): Promise<void> {
  await sip.createSipParticipant(
    '',
    `floor-r${i}`,
    pair.room,
    { participantIdentity: `floor-receiver-${i}`, waitUntilAnswered: true, fromNumber: FLOOR_FROM },
    direct(FLOOR_RECEIVER_PORT + i),
  );
  await sip.createSipParticipant(
    '',
    `floor-s${i}`,
    pair.room,
    { participantIdentity: `floor-sender-${i}`, waitUntilAnswered: true, fromNumber: FLOOR_FROM },
    direct(FLOOR_SENDER_PORT + i),
  );
  pair.streamStart = (await pair.sender.waitForEvent('confirmed', 5000)).at;
}

/**
 * N pairs at once (each: a sender of tone bursts and a receiver in a room of their own, dialled by the
 * server), measured for `seconds` once all are connected: the delay of the bursts, late and missing frames at
 * both phones, and the machine's CPU. The dials go four at a time, as the bridged rows' calls arrive spread.
 */
export async function floorPairs(stack: StackInfo, n: number, seconds: number, lifetimeMs: number): Promise<FloorRow> {
  const sip = new SipClient(stack.livekitUrl.replace(/^ws/, 'http'), stack.apiKey, stack.apiSecret);
  const pairs: FloorPair[] = [];
  const row: FloorRow = { concurrent: n, connected: 0, delayMs: distribution([]), lateFraction: Number.NaN, missingFraction: Number.NaN, machineCores: 0 };
  try {
    for (let i = 1; i <= n; i++) {
      const audio = { file: burstCycleFile() };
      const sender = await startCallee({ port: FLOOR_SENDER_PORT + i, ringMs: 0, audio, name: `floor${n}-s${i}`, maxLifetimeMs: lifetimeMs });
      const receiver = await startCallee({
        port: FLOOR_RECEIVER_PORT + i,
        ringMs: 0,
        audio: { tone: 700 },
        name: `floor${n}-r${i}`,
        maxLifetimeMs: lifetimeMs,
      }).catch(async (error: unknown) => {
        await sender.close();
        throw error;
      });
      pairs.push({ sender, receiver, room: `bench-floor-${n}-${i}-${Date.now()}` });
    }
    for (let i = 0; i < n; i += 4) {
      const failures = await Promise.all(
        pairs.slice(i, i + 4).map((p, j) =>
          connectPair(sip, p, i + j + 1).then(
            () => undefined,
            (e: unknown) => String(e).slice(0, 200),
          ),
        ),
      );
      const failure = failures.find((f) => f !== undefined);
      if (failure) row.failedAt = `dial: ${failure}`;
    }
    await sleep(1500);
    const machine = watchMachine(cpus().length);
    const commands = watchCommands();
    const from = Date.now();
    await sleep(seconds * 1000);
    const to = Date.now();
    row.machineCores = machine.stop();
    row.byCommand = commands.stop();
    const heard = pairs.filter((p) => p.streamStart !== undefined).map((p) => ({ p, ...cycleBurstDelay(p.receiver, p.streamStart!, from, to) }));
    const connected = heard.filter((h) => h.medianMs !== null);
    row.connected = connected.length;
    row.delayMs = distribution(connected.map((h) => h.medianMs!));
    const frames = connected.flatMap(({ p }) => [frameStats(p.sender.received.chunks, from, to), frameStats(p.receiver.received.chunks, from, to)]);
    Object.assign(row, frameShares(frames));
    if (row.connected < n) row.failedAt ??= `${n - row.connected} of ${n} pairs heard no bursts`;
    return row;
  } finally {
    await Promise.all(
      pairs.map((p) =>
        roomService(stack)
          .deleteRoom(p.room)
          .catch(() => undefined),
      ),
    );
    await Promise.all(
      pairs.map(async (p) => {
        await Promise.all([
          p.sender.waitForEvent(['bye-received', 'exit'], 5000).catch(() => undefined),
          p.receiver.waitForEvent(['bye-received', 'exit'], 5000).catch(() => undefined),
        ]);
        await Promise.all([p.sender.close(), p.receiver.close()]);
      }),
    );
  }
}

/** Late and missing frames as shares of the frames expected. */
export function frameShares(frames: FrameStats[]): { lateFraction: number; missingFraction: number } {
  const expected = frames.reduce((a, f) => a + f.expected, 0);
  return {
    lateFraction: expected ? frames.reduce((a, f) => a + f.late, 0) / expected : Number.NaN,
    missingFraction: expected ? frames.reduce((a, f) => a + f.missing, 0) / expected : Number.NaN,
  };
}
