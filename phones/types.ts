// Public types of the test phone.
import type { AudioSpec } from './audio.ts';

export type PhoneRole = 'caller' | 'callee';
export type PhoneEventType =
  | 'invite-sent'
  | 'invite-received'
  | 'ringing'
  | 'answered'
  | 'confirmed'
  | 'rejected'
  | 'bye-sent'
  | 'bye-received'
  | 'cancel-sent'
  | 'cancel-received'
  | 'refer-received'
  | 'refer-answered'
  | 'notify-sent'
  | 'control-sent'
  | 'media'
  | 'exit'
  | 'error';

export interface PhoneEvent {
  type: PhoneEventType;
  at: number; // ms since epoch (SIP events: SIPp's clock when it sent/received the message)
  status?: number; // SIP status for ringing/answered/rejected, exit code for exit
  detail?: string;
}

export interface CallEnd {
  /** Who ended the call: BYE/CANCEL/rejection sent by this phone (local) or by the far end. */
  hungUpBy: 'local' | 'remote' | null;
  reason: 'bye' | 'cancelled' | 'rejected' | 'closed' | 'error';
  /** Final status of the INVITE: 200 if answered, else e.g. 486, 603, 487; null if none. */
  status: number | null;
  exitCode: number | null;
  at: number;
}

export interface PhoneLogs {
  dir: string;
  messages: string;
  shortMessages: string;
  errors: string;
  actions: string;
  stdout: string;
}

export interface CommonOptions {
  /** Streamed in a loop for the whole call. Default: a 440 Hz tone. */
  audio?: AudioSpec;
  /** Upper bound on SIPp's life (-timeout). Default 180 s. */
  maxLifetimeMs?: number;
  /** Used in the log directory name. */
  name?: string;
}

export interface CallerOptions extends CommonOptions {
  to: string; // user part of the Request-URI, e.g. '+15550100'
  from: string; // user part of From, e.g. '+15551234567'
  host?: string; // default 127.0.0.1
  port?: number; // default 5060
  localPort?: number; // SIPp's signalling port; default a free one
  /** How we answer a REFER: accept (202, then a NOTIFY) or refuse (501 Not Implemented). Default accept. */
  referReply?: 'accept' | 'refuse';
  /** After accepting a REFER: the sipfrag of the one NOTIFY we send. Default "SIP/2.0 200 OK" (transferred). */
  notifyFrag?: string;
}

export type CalleeBehaviour = 'answer' | 'busy' | 'decline' | 'unavailable' | 'no-answer';

export interface CalleeOptions extends CommonOptions {
  /** Port the callee listens on (dial sip:<user>@127.0.0.1:<port>); default a free one. */
  port?: number;
  /** What to do with the INVITE: answer (200), busy (486), decline (603), unavailable (480), or
   *  no-answer (keep ringing until the test calls answer()/reject() or the caller cancels). */
  behaviour?: CalleeBehaviour;
  /** Time between the INVITE (180 Ringing goes out at once) and the answer/rejection. */
  ringMs?: number;
}
