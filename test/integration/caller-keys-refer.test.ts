// Keypad transfers through a trunk that accepts SIP REFER: the caller's own trunk (here the SIPp phone
// that placed the call) is asked to connect the caller to the destination, and LiveKit's leg ends. When
// the trunk refuses the REFER, or reports that the transfer failed, the caller is still in the call and is
// connected by dialling and bridging instead.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { roomService } from '../support/calls.ts';
import { expectConnectedWithoutBriefing } from '../support/connected.ts';
import { startCallee, type Phone } from '../../phones/index.ts';
import { personalDataOutsidePii } from '../support/pii.ts';
import { eventually } from '../support/rooms.ts';
import {
  DESTINATION_TONE_HZ,
  holdToneWav,
  PBX_PORT,
  placeTransferCall,
  settingsFile,
  startTransferWorker,
  timelineEntry,
  type TransferCall,
  type TransferCast,
} from '../support/transfer-call.ts';

const stack = inject('stack');
let cast: TransferCast;
let call: TransferCall | undefined;
let sales: Phone | undefined;

beforeAll(async () => {
  const settings = settingsFile(stack, {
    trunks: { inbound: { acceptsRefer: true }, pstnOutboundTrunkId: stack.pstnTrunkId, pbx: { outboundTrunkId: stack.pbxTrunkId } },
    warmTransfer: { enabled: true, rules: 'If the caller has a billing dispute, warm transfer to +15125551234.', holdMusic: holdToneWav() },
    keypad: { '1': 'ext:2001' },
  });
  cast = await startTransferWorker(stack, 'caller-keys-refer', { AGENT_SETTINGS: settings.path });
});
afterEach(async () => {
  await call?.close();
  await sales?.close();
  call = sales = undefined;
});
afterAll(async () => {
  await cast?.close();
});

/** The caller presses 1 for sales (ext:2001, behind the PBX trunk at 127.0.0.1:PBX_PORT). */
async function pressForSales(name: string, caller: Parameters<typeof placeTransferCall>[3]): Promise<{ call: TransferCall; pressed: number }> {
  // No transfer by the model here: the destination behind the PSTN trunk must never ring.
  call = await placeTransferCall(stack, name, { behaviour: 'no-answer' }, caller);
  sales = await startCallee({ port: PBX_PORT, ringMs: 300, audio: { tone: DESTINATION_TONE_HZ }, name: `${name}-sales` });
  await call.caller.waitAnswered(20_000);
  const pressed = Date.now();
  await call.caller.press('1');
  return { call, pressed };
}

describe('keypad transfers by SIP REFER', () => {
  it("press 1 for sales: the caller's trunk gets a REFER to the extension at the PBX and LiveKit's leg ends", async () => {
    const started = Date.now();
    const { call, pressed } = await pressForSales('refer-accepted', {});
    const refer = await call.caller.waitForEvent('refer-received', 15_000);
    expect(refer.detail).toBe(`sip:2001@127.0.0.1:${PBX_PORT}`);
    expect((await call.caller.waitForEvent('refer-answered', 5_000)).status).toBe(202);
    await call.caller.waitForEvent('notify-sent', 5_000);
    const referred = await timelineEntry(cast.worker, 'referred', 15_000, started);
    expect(referred['lk.pii.refer_to']).toBe(`sip:2001@127.0.0.1:${PBX_PORT}`);
    expect((await timelineEntry(cast.worker, 'ended', 5_000, started)).outcome).toBe('accepted');
    // The transfer is the trunk's now: livekit-sip hangs up our leg, and nothing of ours dialled sales.
    const end = await call.caller.waitEnded(10_000);
    expect(end.hungUpBy).toBe('remote');
    expect(sales!.events.some((e) => e.type === 'invite-received')).toBe(false);
    // And the agent's job is over: the call's room is gone.
    const rooms = roomService(stack);
    await eventually(async () => !(await rooms.listRooms()).some((r) => r.name.startsWith(`call_${call.from}_`)), 10_000, "the call's room to close");
    console.log(`keypad 1 -> REFER at the trunk: ${refer.at - pressed} ms`);
  });

  it('a trunk that refuses the REFER (501): the caller is connected by dialling instead', async () => {
    const started = Date.now();
    const { call } = await pressForSales('refer-refused', { referReply: 'refuse' });
    expect((await call.caller.waitForEvent('refer-answered', 15_000)).status).toBe(501);
    const failed = await timelineEntry(cast.worker, 'refer_failed', 15_000, started);
    expect(failed).toMatchObject({ sipStatus: 501, sipReason: 'Not Implemented', 'lk.pii.refer_to': `sip:2001@127.0.0.1:${PBX_PORT}` });
    expect(String(failed['lk.pii.error'])).toContain('501');
    // The caller is still in the call and reaches sales the other way: dialled and bridged.
    await expectConnectedWithoutBriefing(cast.worker, call.caller, sales!, started);
    // The REFER, the dial and the bridge name the caller and the extension only under lk.pii keys.
    const entries = cast.worker.timeline().filter((e) => Date.parse(String(e.at)) >= started);
    expect(entries.filter((e) => e.type === 'started').map((e) => [e.destinationKind, e.destinationMasked])).toEqual([
      ['extension', 'ext:***1'],
      ['extension', 'ext:***1'],
    ]);
    expect(personalDataOutsidePii(entries, [call.from, '2001'])).toEqual([]);
  });

  it('a transfer the trunk reports failed (NOTIFY 486): the caller is connected by dialling instead', async () => {
    const started = Date.now();
    const { call } = await pressForSales('refer-busy', { notifyFrag: 'SIP/2.0 486 Busy Here' });
    expect((await call.caller.waitForEvent('refer-answered', 15_000)).status).toBe(202);
    await call.caller.waitForEvent('notify-sent', 5_000);
    const failed = await timelineEntry(cast.worker, 'refer_failed', 15_000, started);
    expect(failed.sipStatus).toBe(486);
    // The caller is still in the call and reaches sales the other way: dialled and bridged.
    await expectConnectedWithoutBriefing(cast.worker, call.caller, sales!, started);
  });
});
