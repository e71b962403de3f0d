// The floor for the bridge's delay: two SIP phones in one room with nothing of ours between them. Both legs
// are dialled by the server (PSTN trunk → 127.0.0.1:5080, PBX trunk → :5090) into a fresh room; the first
// phone sends tone bursts on its stream's clock, and their arrival at the second is the one-way delay of
// livekit-sip → livekit-server → livekit-sip on this machine. The bridge's figure is measured the same way
// (destination's bursts arriving at the caller), so the difference is what the relay adds.
import { SipClient } from 'livekit-server-sdk';
import { startCallee } from '../../phones/index.ts';
import type { StackInfo } from '../../stack/stack-info.ts';
import { roomService } from '../support/calls.ts';
import { DESTINATION_NUMBER, PBX_PORT, PSTN_PORT } from '../support/transfer-call.ts';
import { burstDelay, burstFile } from './listen.ts';
import { DESTINATION_BURST_HZ } from './transfers.ts';
import { sleep } from './stats.ts';

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
