// The person's decision, however it is given: keys in the consultation room (1 accepts, 9 rejects, any other
// key is asked again) and words to the briefing agent (its decision tools) become the same `decision` event,
// so the machine sees one decision and the first one wins (phase.ts). The decision timer is the machine's.
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';
import type { AttemptContext } from './attempt-context.ts';
import type { SpokenDecision } from './briefing/session.ts';
import type { TransferEvent } from './state/phase.ts';

export const ACCEPT_KEY = '1';
export const REJECT_KEY = '9';

/**
 * An ordinary (cold) transfer has nobody to brief: its rule decided before the dial, so the answer is
 * taken as an accept (reported as a keypad decision, as it always has been).
 */
export const UNBRIEFED_ACCEPT: TransferEvent = { type: 'decision', choice: 'accept', source: 'keypad' };

/** What a key pressed by the person means. */
export function keyDecision(digit: string): TransferEvent {
  if (digit === ACCEPT_KEY) return { type: 'decision', choice: 'accept', source: 'keypad' };
  if (digit === REJECT_KEY) return { type: 'decision', choice: 'reject', source: 'keypad' };
  return { type: 'invalid_key', digit };
}

/** What the briefing agent heard the person decide. A voicemail greeting is not a person: it ends the attempt. */
export function spokenDecision(decision: SpokenDecision): TransferEvent {
  return decision === 'voicemail' ? { type: 'voicemail' } : { type: 'decision', choice: decision, source: 'voice' };
}

/** Listens for the person's keys in the consultation room. */
export function listenForKeys(room: Room, personIdentity: string, context: AttemptContext): void {
  context.listen(room, RoomEvent.DtmfReceived, (_code: number, digit: string, p: RemoteParticipant) => {
    // Only the person decides; the caller's keys (forwarded after a bridge) never do.
    if (p.identity === personIdentity) context.send(keyDecision(digit));
  });
}
