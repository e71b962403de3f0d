// Ordinary (cold) transfers handed to the caller's trunk by SIP REFER: the trunk connects the caller to
// the destination itself and LiveKit's leg of the call ends, so nothing of ours stays in the media path.
// Used only where the settings say the inbound trunk accepts REFER. A refusal, a failed NOTIFY or a
// timeout leaves the caller in the call (livekit-sip only hangs up after a successful transfer), and the
// caller is then connected the other way: dialled and bridged.
import { SipCallError, SipClient } from 'livekit-server-sdk';
import type { Destination } from '../../../settings/destination.ts';
import { assertAuthorised, type AuthorisedDial } from '../dial/authorise.ts';
import { ringingTimeoutSeconds } from '../dial/dial.ts';
import { httpUrl, type LiveKitCredentials } from '../../livekit/room-api.ts';

export interface ReferApi {
  /** Sends the REFER for `identity`'s call and resolves once the trunk reported the transfer done. */
  transfer(room: string, identity: string, referTo: string, ringingTimeoutMs: number): Promise<void>;
  /** The address (host[:port] and transport) of a stored outbound trunk, to name an extension behind it. */
  trunkAddress(trunkId: string): Promise<{ address: string; transport: 'udp' | 'tcp' | 'tls' | undefined } | undefined>;
}

export type ReferResult = { ok: true; referTo: string } | { ok: false; referTo: string | undefined; message: string; sipStatus?: number };

/** SIPTransport numbers of livekit's protocol; 0 (auto) and unknown values name no transport. */
const TRANSPORT_NAMES: Record<number, 'udp' | 'tcp' | 'tls'> = { 1: 'udp', 2: 'tcp', 3: 'tls' };

/** A few seconds past the ringing timeout for the REFER and NOTIFY round trips themselves. */
const SIGNALLING_MARGIN_S = 5;

export function sipReferApi(credentials: LiveKitCredentials): ReferApi {
  const sip = new SipClient(httpUrl(credentials.url), credentials.apiKey, credentials.apiSecret);
  return {
    async transfer(room, identity, referTo, ringingTimeoutMs) {
      const ringingTimeout = ringingTimeoutSeconds(ringingTimeoutMs);
      // The caller hears ringback (played by livekit-sip) until the trunk reports the result.
      await sip.transferSipParticipant(room, identity, referTo, { playDialtone: true, ringingTimeout, timeout: ringingTimeout + SIGNALLING_MARGIN_S });
    },
    async trunkAddress(trunkId) {
      const [trunk] = await sip.listSipOutboundTrunk({ trunkIds: [trunkId] });
      if (!trunk?.address) return undefined;
      return { address: trunk.address, transport: TRANSPORT_NAMES[trunk.transport] };
    },
  };
}

/**
 * The Refer-To URI for a destination: `tel:` for a phone number, the SIP address as written, and for an
 * extension a SIP URI at the PBX trunk's address (undefined when that trunk has no address to name).
 */
export function referUri(destination: Destination, pbx: Awaited<ReturnType<ReferApi['trunkAddress']>>): string | undefined {
  switch (destination.kind) {
    case 'phone':
      return `tel:${destination.e164}`;
    case 'sip':
      return destination.uri;
    case 'extension': {
      if (!pbx) return undefined;
      const transport = pbx.transport === 'tcp' || pbx.transport === 'tls' ? `;transport=${pbx.transport}` : '';
      return `sip:${destination.extension}@${pbx.address}${transport}`;
    }
  }
}

export interface ReferRequest {
  /** The destination, as authoriseDial passed it. */
  dial: AuthorisedDial;
  room: string;
  callerIdentity: string;
  pbxTrunkId: string | undefined;
  ringingTimeoutMs: number;
}

/**
 * Hands the caller's call to its trunk. Never throws for what happens on the call (a failure is a result, and
 * the caller is still in the call); only for a dial authoriseDial did not pass, which is a bug.
 */
export async function referCaller(api: ReferApi, request: ReferRequest): Promise<ReferResult> {
  assertAuthorised(request.dial);
  const { destination } = request.dial;
  let referTo: string | undefined;
  try {
    const pbx = destination.kind === 'extension' && request.pbxTrunkId ? await api.trunkAddress(request.pbxTrunkId) : undefined;
    referTo = referUri(destination, pbx);
    if (!referTo) return { ok: false, referTo, message: 'the PBX trunk has no address to name the extension in a REFER' };
    await api.transfer(request.room, request.callerIdentity, referTo, request.ringingTimeoutMs);
    return { ok: true, referTo };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const sipStatus = sipStatusOf(error);
    return { ok: false, referTo, message, ...(sipStatus === undefined ? {} : { sipStatus }) };
  }
}

/** The SIP status of a failed transfer (the REFER's answer, or the one its NOTIFY reported), when it has one. */
function sipStatusOf(error: unknown): number | undefined {
  return error instanceof SipCallError ? error.sipStatusCode : undefined;
}
