// Where a `sip:` destination may send an INVITE (or a REFER name the caller's trunk to). A SIP address is
// dialled directly by the SIP service, from inside the operator's network: without a check, anyone who can
// write a destination could make it call loopback, private or link-local hosts and read the SIP errors back.
// Such addresses are refused unless the operator lists them in SIP_ALLOWED_HOSTS (hosts, IPs or CIDRs).
// Host names are resolved at the dial, within a bound, and every address they resolve to must pass; a name
// that does not resolve in time is refused. (The SIP service resolves the name again itself: a name whose
// owner changes its records between the two lookups is the remaining gap; list IP addresses to close it.)
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  type HostPolicy,
  type HostPolicyResult,
  isRestrictedAddress,
  LOCAL_NAME,
  NO_HOSTS_ALLOWED,
  parseHostPolicy,
  unbracket,
} from '../../../core/restricted-hosts.ts';

/** How long a host name may take to resolve at the dial. */
export const SIP_HOST_LOOKUP_TIMEOUT_MS = 2000;

/** The operator's exceptions (SIP_ALLOWED_HOSTS), parsed once at start-up; the ranges are in net/restricted-hosts.ts. */
export type SipHostPolicy = HostPolicy;
export type SipHostPolicyResult = HostPolicyResult;

/** The default: nothing listed, so every restricted address is refused. */
export const NO_SIP_HOSTS_ALLOWED: SipHostPolicy = NO_HOSTS_ALLOWED;

/** Parses a comma list of host names, IP addresses and CIDRs (`pbx.internal, 10.1.2.3, 10.20.0.0/16, fd00::/8`). */
export const parseSipHostPolicy: (text: string | undefined) => SipHostPolicyResult = parseHostPolicy;

export type Resolve = (host: string, signal: AbortSignal) => Promise<string[]>;

/** Every address `host` resolves to (A and AAAA), as the SIP service would look it up. */
export const resolveHost: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export type SipHostCheck = { ok: true } | { ok: false; why: string; address?: string };

/** Whether a SIP address at `host` (a name, an IPv4 address or a bracketed IPv6 address) may be dialled. */
export async function checkSipHost(
  host: string,
  policy: SipHostPolicy,
  resolve: Resolve = resolveHost,
  timeoutMs = SIP_HOST_LOOKUP_TIMEOUT_MS,
): Promise<SipHostCheck> {
  const bare = unbracket(host).toLowerCase();
  if (isIP(bare) !== 0) return checkAddress(bare, policy);
  if (policy.names.has(bare)) return { ok: true };
  if (LOCAL_NAME.test(bare)) return { ok: false, why: 'the host is a local name (localhost, .localhost or .local)' };
  let addresses: string[];
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    addresses = await Promise.race([
      resolve(bare, signal),
      new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true })),
    ]);
  } catch {
    return { ok: false, why: `the host name did not resolve within ${timeoutMs} ms` };
  }
  if (addresses.length === 0) return { ok: false, why: 'the host name resolves to no address' };
  for (const address of addresses) {
    const check = checkAddress(address, policy);
    if (!check.ok) return { ...check, why: `the host name resolves to ${check.why.replace(/^the host is /, '')}` };
  }
  return { ok: true };
}

/** The synchronous part, for the start-up check: IP literals and local names only (names resolve at the dial). */
export function checkSipHostLiteral(host: string, policy: SipHostPolicy): SipHostCheck {
  const bare = unbracket(host).toLowerCase();
  if (isIP(bare) !== 0) return checkAddress(bare, policy);
  if (!policy.names.has(bare) && LOCAL_NAME.test(bare)) return { ok: false, why: 'the host is a local name (localhost, .localhost or .local)' };
  return { ok: true };
}

function checkAddress(address: string, policy: SipHostPolicy): SipHostCheck {
  if (isRestrictedAddress(address, policy)) {
    return { ok: false, why: 'the host is a loopback, private, link-local or unspecified address not listed in SIP_ALLOWED_HOSTS', address };
  }
  return { ok: true };
}
