// The one check before anything is dialled: every INVITE (warm transfers, fallbacks, keypad rules plain and
// screened, takeover re-dials) and every SIP REFER goes through authoriseDial, whatever asked for it: a model,
// a keypad rule or a transfer record read back from Redis. The dial functions (dial.ts, refer.ts) take only
// the AuthorisedDial it returns, which no other module can make: a new call path cannot skip the check.
//
// A destination may be dialled when
//   - the agent's transfer plan allows it, or a keypad rule names it (as its destination or a fallback);
//   - the plan's denylist does not name it (a keypad rule cannot name a forbidden destination either);
//   - its trunk is configured (extensions: the PBX trunk; numbers: the PSTN trunk);
//   - for a SIP address, its host is not a loopback, private, link-local or unspecified address, unless the
//     operator lists it in SIP_ALLOWED_HOSTS (sip-host.ts).
import { canonicalDestination, destinationKey, type Destination } from '../../../settings/destination.ts';
import { allowedDestinations, isForbidden, type TransferPlan } from '../../../settings/rules/plan.ts';
import type { KeypadRule } from '../../../settings/schema.ts';
import type { AgentSettings } from '../../../settings/settings.ts';
import { checkSipHost, checkSipHostLiteral, type Resolve, type SipHostPolicy } from './sip-host.ts';

/** Why a dial was refused; `unreadable`: a stored destination (a transfer record's) could not be read back. */
export type DialRefusal = 'not_in_plan' | 'forbidden' | 'no_trunk' | 'sip_host' | 'unreadable';

/** Where to send the INVITE: a number or extension through a stored outbound trunk, or a SIP host directly. */
export type DialTarget = { via: 'trunk'; trunkId: string; number: string } | { via: 'sip'; user: string; hostname: string; transport: 'udp' | 'tcp' | 'tls' };

declare const AUTHORISED: unique symbol;

/** A destination authoriseDial passed, and where to send its INVITE. Only authoriseDial makes one. */
export interface AuthorisedDial {
  readonly destination: Destination;
  readonly target: DialTarget;
  readonly [AUTHORISED]: true;
}

export type Authorisation = { ok: true; dial: AuthorisedDial } | { ok: false; refusal: DialRefusal; why: string; address?: string };

export interface DialPolicy {
  plan: TransferPlan;
  keypad: ReadonlyMap<string, KeypadRule>;
  trunks: AgentSettings['trunks'];
  sipHosts: SipHostPolicy;
  /** Host name lookup for SIP addresses; the system resolver unless a test says otherwise. */
  resolve?: Resolve;
}

/** The objects authoriseDial made: the type alone could be forged with a cast, this cannot. */
const issued = new WeakSet<object>();

/** The policy of an agent's settings and the worker's SIP host list. */
export function dialPolicy(settings: Pick<AgentSettings, 'warmTransfer' | 'keypad' | 'trunks'>, sipHosts: SipHostPolicy): DialPolicy {
  return { plan: settings.warmTransfer.plan, keypad: settings.keypad, trunks: settings.trunks, sipHosts };
}

export async function authoriseDial(destination: Destination | undefined, policy: DialPolicy): Promise<Authorisation> {
  if (!destination) return { ok: false, refusal: 'unreadable', why: 'the destination could not be read back from the transfer record' };
  if (isForbidden(policy.plan, destination)) return { ok: false, refusal: 'forbidden', why: 'the rules forbid this destination' };
  if (!dialable(policy).has(destinationKey(destination))) {
    return { ok: false, refusal: 'not_in_plan', why: 'neither the transfer plan nor a keypad rule names this destination' };
  }
  const target = targetFor(destination, policy.trunks);
  if (!target)
    return { ok: false, refusal: 'no_trunk', why: `no outbound trunk is configured for ${destination.kind === 'extension' ? 'extensions' : 'phone numbers'}` };
  if (destination.kind === 'sip') {
    const host = await checkSipHost(destination.host, policy.sipHosts, policy.resolve);
    if (!host.ok) return { ok: false, refusal: 'sip_host', why: host.why, ...(host.address ? { address: host.address } : {}) };
  }
  const dial = Object.freeze({ destination, target }) as AuthorisedDial;
  issued.add(dial);
  return { ok: true, dial };
}

/** Throws unless `dial` came from authoriseDial: the last line of defence in the functions that dial. */
export function assertAuthorised(dial: AuthorisedDial): void {
  if (!issued.has(dial)) throw new TypeError(`refusing to dial ${canonicalDestination(dial.destination)}: it was not authorised (authoriseDial)`);
}

/**
 * At start-up: every `sip:` destination of an agent whose host is an address (or a local name) that would be
 * refused at the dial, so the worker does not start with a destination it can never reach. Host names are
 * resolved only at the dial.
 */
export function sipHostProblems(settings: Pick<AgentSettings, 'agentId' | 'warmTransfer' | 'keypad'>, sipHosts: SipHostPolicy): string[] {
  const named = [...allowedDestinations(settings.warmTransfer.plan), ...[...settings.keypad.values()].flatMap((rule) => rule.destinations)];
  const seen = new Set<string>();
  return named.flatMap((destination) => {
    if (destination.kind !== 'sip' || seen.has(destinationKey(destination))) return [];
    seen.add(destinationKey(destination));
    const check = checkSipHostLiteral(destination.host, sipHosts);
    return check.ok ? [] : [`agent ${settings.agentId}: ${destination.uri} will not be dialled: ${check.why}`];
  });
}

/** Everything that may be dialled: the plan's destinations and every keypad rule's destinations and fallbacks. */
function dialable(policy: DialPolicy): Set<string> {
  const keypad = [...policy.keypad.values()].flatMap((rule) => rule.destinations);
  return new Set([...allowedDestinations(policy.plan), ...keypad].map(destinationKey));
}

function targetFor(destination: Destination, trunks: AgentSettings['trunks']): DialTarget | undefined {
  switch (destination.kind) {
    case 'phone':
      return trunks.pstnOutboundTrunkId ? { via: 'trunk', trunkId: trunks.pstnOutboundTrunkId, number: destination.e164 } : undefined;
    case 'extension':
      return trunks.pbxOutboundTrunkId ? { via: 'trunk', trunkId: trunks.pbxOutboundTrunkId, number: destination.extension } : undefined;
    case 'sip':
      return {
        via: 'sip',
        user: destination.user,
        hostname: destination.port ? `${destination.host}:${destination.port}` : destination.host,
        transport: destination.transport,
      };
  }
}
