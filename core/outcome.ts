/**
 * How a warm transfer can end. These are results of a phone call, not errors: every one of them is a normal,
 * speakable ending that the caller's agent reports and carries on from.
 *
 * - `accepted`: the destination accepted and was bridged to the caller (the agent has left the call).
 * - `rejected`: the destination said no, by keypad or voice, or never answered the question (source `timeout`).
 * - `busy` / `declined` / `no_answer` / `dial_failed`: the destination was never reached (see {@link DialFailure}).
 * - `voicemail`: an answering machine picked up.
 * - `destination_hung_up`: the destination left before the caller was connected.
 * - `bridge_failed`: the destination accepted but the two calls could not be joined.
 * - `hold_failed`: the caller could not be put on hold, so nobody was dialled.
 * - `caller_hung_up`: the caller left while on hold.
 * - `cancelled`: the caller asked to stop waiting.
 * - `timed_out`: the overall deadline passed after the destination had answered.
 * - `interrupted`: the job carrying the transfer died and it could not be carried on (or failed too often).
 */
export const TRANSFER_OUTCOMES = [
  'accepted',
  'rejected',
  'busy',
  'declined',
  'no_answer',
  'voicemail',
  'destination_hung_up',
  'dial_failed',
  'bridge_failed',
  'hold_failed',
  'caller_hung_up',
  'cancelled',
  'timed_out',
  'interrupted',
] as const;

export type TransferOutcome = (typeof TRANSFER_OUTCOMES)[number];

/** How the destination's decision arrived; `timeout` means they never gave one and it counted as a rejection. */
export type DecisionSource = 'keypad' | 'voice' | 'timeout';

/** Why the dial reached no one; whoever dials maps the SIP status (e.g. 486 busy, 603 declined, 480 no answer). */
export type DialFailure = 'busy' | 'declined' | 'no_answer' | 'dial_failed';
