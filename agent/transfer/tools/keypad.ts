// Keypad rules: "press 1 for sales". A key with a rule starts an ordinary transfer (no briefing; handed to the
// caller's trunk by SIP REFER where it accepts that, else dialled and bridged) or a screened one (warm: true),
// whose briefing is built from what is known without a model. Keys are ignored during a transfer and once
// the caller is connected to someone (their keys then go to that call): the record refuses the request.
import { log } from '@livekit/agents';
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import { callerMessage } from '../../../prompts/outcomes.ts';
import { keypadBriefing, keypadHoldMessage, keypadReason } from '../../../prompts/keypad.ts';
import { limitForCaller } from '../../../prompts/limits.ts';
import { errorFields, pii, sipFailureFields } from '../../../core/pii.ts';
import { destinationFields } from '../../../settings/destination.ts';
import type { TransferOutcome } from '../../../core/outcome.ts';
import type { KeypadRule } from '../../../settings/schema.ts';
import type { Destination } from '../../../settings/destination.ts';
import type { TransferCall } from '../call-context.ts';
import { storedDestination } from '../record/stored-chain.ts';
import { TransferRequest } from '../request.ts';
import { TransferTimeline } from '../timeline.ts';
import { referCaller, sipReferApi } from './refer.ts';

/** The longest the caller's "please hold" may take before the hold starts anyway. */
const ANNOUNCE_MAX_MS = 10_000;

/** Starts the transfer `digit`'s rule names; undefined when no transfer started (no rule, refused). */
export async function keypadTransfer(call: TransferCall, digit: string): Promise<TransferOutcome | undefined> {
  const { settings } = call;
  const rule = settings.keypad.get(digit);
  if (!rule) return undefined;
  // An organization without warm transfer still gets the rule's destinations, unscreened.
  const warm = rule.warm && settings.organization.warmTransferAvailable;
  const opened = await TransferRequest.open(call, rule.destinations, { reason: keypadReason(digit), brief: warm });
  if (!opened.ok) {
    // No model to explain a limit: the agent says it.
    const { reason } = opened;
    if (reason === 'call_limit' || reason === 'organization_limit') call.caller.say(limitForCaller(reason));
    return undefined;
  }
  const { request } = opened;
  // Keys pressed just as a taken-over transfer ended: the agent announces this transfer, so it must be up.
  await call.caller.start();
  try {
    if (warm) return await screened(call, request, digit, rule);
    if (settings.trunks.inboundAcceptsRefer && (await referred(call, rule.destinations[0]!, digit, request.record.id))) {
      await request.close('handed_off');
      call.options.onCallHandedOff();
      return 'accepted';
    }
    const { outcome } = await request.run({ chain: rule.destinations, reason: keypadReason(digit), brief: false });
    return outcome;
  } catch (error) {
    // run() has taken the caller off hold; no model is there to explain, so the agent says it.
    log().error({ ...errorFields(error, { stack: true }), digit, transfer: request.record.id }, 'keypad transfer failed');
    await request.close('ended');
    call.caller.say(callerMessage('dial_failed'));
    return 'dial_failed';
  }
}

/**
 * A screened keypad transfer: the caller hears that the agent is checking, then holds while the destination
 * is briefed with what is known without a model (and the conversation's summary when there is a model).
 */
async function screened(call: TransferCall, request: TransferRequest, digit: string, rule: KeypadRule): Promise<TransferOutcome> {
  const { options, settings } = call;
  // Heard in full before the music starts; bounded, so a stuck playout cannot keep the caller waiting.
  await call.caller.sayInFull(keypadHoldMessage({ label: rule.label }), ANNOUNCE_MAX_MS);
  // Nobody to transfer: the caller hung up during the announcement (no transfer watches them yet).
  if (!options.room.remoteParticipants.has(options.callerIdentity)) {
    await request.close('ended');
    return 'caller_hung_up';
  }
  const known = keypadBriefing({
    digit,
    label: rule.label,
    callerNumber: settings.warmTransfer.passThroughCallerNumber ? options.callerNumber : undefined,
    shownNumber: settings.agentPhoneNumber,
    onLineMs: Date.now() - call.callStartedAtMs,
  });
  request.restate({ reason: known, brief: true, known });
  const { outcome } = await request.run({ chain: rule.destinations, reason: known, brief: true, known });
  return outcome;
}

/**
 * Hands the caller to the trunk by SIP REFER; true once the trunk has connected them. The agent is silent
 * meanwhile (the caller hears ringback); on any failure it is heard again and false lets the caller be
 * connected by dialling instead.
 */
async function referred(call: TransferCall, destination: Destination, digit: string, transferId: string): Promise<boolean> {
  const { options, settings } = call;
  const timeline = new TransferTimeline({ transferId });
  if (options.onTimeline) timeline.on('event', options.onTimeline);
  const where = destinationFields(destination);
  timeline.record('started', { kind: 'keypad', key: digit, method: 'refer', ...where });
  // A REFER names a destination too: the same check as a dial, before the trunk is asked.
  const authorised = await call.authorise(destination);
  if (!authorised.ok) {
    const { refusal, why } = authorised;
    timeline.record('refused', {
      refusal,
      why,
      'lk.pii.destination': storedDestination(destination),
      ...(authorised.address ? { 'lk.pii.address': authorised.address } : {}),
    });
    timeline.record('ended', { outcome: 'refer_failed', method: 'refer', next: 'dial' });
    return false;
  }
  call.caller.mute(true);
  timeline.record('referring', where);
  const result = await referCaller(options.refer ?? sipReferApi(options.credentials), {
    dial: authorised.dial,
    room: options.room.name!,
    callerIdentity: options.callerIdentity,
    pbxTrunkId: settings.trunks.pbxOutboundTrunkId,
    ringingTimeoutMs: settings.warmTransfer.ringingTimeoutMs,
  });
  if (result.ok) {
    timeline.record('referred', pii({ referTo: result.referTo }));
    timeline.record('ended', { outcome: 'accepted', method: 'refer' });
    // The trunk has the caller now and livekit-sip ends our leg: the agent's part is over.
    call.caller.close();
    return true;
  }
  const failure = sipFailureFields(result);
  timeline.record('refer_failed', { ...pii({ referTo: result.referTo }), ...failure });
  log().warn({ ...where, ...failure }, 'SIP REFER failed: connecting the caller by dialling instead');
  timeline.record('ended', { outcome: 'refer_failed', method: 'refer', next: 'dial' });
  call.caller.mute(false);
  return false;
}

/** The caller's key presses start keypad transfers; a failed one must not take the job down with it. */
export function listenForKeys(room: Room, callerIdentity: string, press: (digit: string) => Promise<unknown>): void {
  room.on(RoomEvent.DtmfReceived, (_code: number, digit: string, participant: RemoteParticipant) => {
    if (participant.identity !== callerIdentity) return;
    // A failed transfer has already taken the caller off hold.
    press(digit).catch((error: unknown) => log().error(errorFields(error, { stack: true }), 'keypad transfer failed'));
  });
}
