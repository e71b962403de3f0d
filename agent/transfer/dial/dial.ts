// Dials the destination into the consultation room and turns SIP failures into typed outcomes. It dials only
// what authoriseDial (authorise.ts) passed.
import { SipCallError, SipClient, ServerError } from 'livekit-server-sdk';
import { assertAuthorised, type AuthorisedDial, type DialTarget } from './authorise.ts';
import type { DialFailure } from '../../../core/outcome.ts';
import { httpUrl, type LiveKitCredentials } from '../../livekit/room-api.ts';

export interface DialRequest {
  /** The destination and where to send the INVITE, as authoriseDial passed them. */
  dial: AuthorisedDial;
  room: string;
  identity: string;
  /** Caller ID the destination sees. */
  fromNumber: string | undefined;
  ringingTimeoutMs: number;
  /**
   * Told when the dial is given up (the signal aborted) while still in flight, with whether the person answered
   * in the end: livekit-sip goes on ringing them and puts them in the room (making it again if it was deleted).
   */
  abandoned?(answered: Promise<boolean>): void;
}

export type DialResult = { ok: true } | { ok: false; reason: DialFailure; sipStatus?: number; message: string };

/** The SIP API takes whole seconds of ringing; the server caps waiting at about 80 s. */
export function ringingTimeoutSeconds(ms: number): number {
  return Math.max(1, Math.min(75, Math.round(ms / 1000)));
}

export async function dial(credentials: LiveKitCredentials, request: DialRequest, signal: AbortSignal): Promise<DialResult> {
  assertAuthorised(request.dial);
  // Given up before it left: nothing is dialled.
  if (signal.aborted) throw signal.reason;
  const sip = new SipClient(httpUrl(credentials.url), credentials.apiKey, credentials.apiSecret);
  const { target } = request.dial;
  const options = {
    participantIdentity: request.identity,
    participantName: 'Transfer destination',
    waitUntilAnswered: true,
    ringingTimeout: ringingTimeoutSeconds(request.ringingTimeoutMs),
    ...(request.fromNumber ? { fromNumber: request.fromNumber } : {}),
  };
  const call =
    target.via === 'trunk'
      ? sip.createSipParticipant(target.trunkId, target.number, request.room, options)
      : sip.createSipParticipant('', target.user, request.room, options, outboundConfig(target));
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  try {
    await Promise.race([call, aborted]);
    return { ok: true };
  } catch (error) {
    if (!signal.aborted) return classifyDialError(error);
    request.abandoned?.(
      call.then(
        () => true,
        () => false,
      ),
    );
    throw error;
  } finally {
    call.catch(() => undefined);
  }
}

type OutboundConfig = NonNullable<Parameters<SipClient['createSipParticipant']>[4]>;

/** SIP transport numbers as in livekit's protocol (SIPTransport). */
const TRANSPORTS = { udp: 1, tcp: 2, tls: 3 } as const;

/** A plain object is enough: the SDK builds the protobuf message from it. */
function outboundConfig(target: Extract<DialTarget, { via: 'sip' }>): OutboundConfig {
  return { hostname: target.hostname, transport: TRANSPORTS[target.transport] } as unknown as OutboundConfig;
}

/** 486/600 busy, 603 declined, a ringing timeout no answer; anything else is a failed dial. */
export function classifyDialError(error: unknown): Exclude<DialResult, { ok: true }> {
  const message = error instanceof Error ? error.message : String(error);
  const sipStatus = error instanceof SipCallError ? error.sipStatusCode : undefined;
  const base = sipStatus === undefined ? { message } : { message, sipStatus };
  if (sipStatus === 486 || sipStatus === 600) return { ok: false, reason: 'busy', ...base };
  if (sipStatus === 603) return { ok: false, reason: 'declined', ...base };
  if (sipStatus === 408 || sipStatus === 480 || sipStatus === 487) return { ok: false, reason: 'no_answer', ...base };
  if (error instanceof ServerError && (/timed? ?out/i.test(message) || error.code === 'canceled' || error.code === 'deadline_exceeded')) {
    return { ok: false, reason: 'no_answer', ...base };
  }
  return { ok: false, reason: 'dial_failed', ...base };
}
