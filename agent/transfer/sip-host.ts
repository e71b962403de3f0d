// Where a `sip:` destination may send an INVITE (or a REFER name the caller's trunk to). A SIP address is
// dialled directly by the SIP service, from inside the operator's network: without a check, anyone who can
// write a destination could make it call loopback, private or link-local hosts and read the SIP errors back.
// Such addresses are refused unless the operator lists them in SIP_ALLOWED_HOSTS (hosts, IPs or CIDRs).
// Host names are resolved at the dial, within a bound, and every address they resolve to must pass; a name
// that does not resolve in time is refused. (The SIP service resolves the name again itself: a name whose
// owner changes its records between the two lookups is the remaining gap; list IP addresses to close it.)
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Addresses no SIP address may reach unless listed: loopback, private, shared, link-local, unspecified, multicast. */
const RESTRICTED: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const restricted = new BlockList();
for (const [network, prefix, type] of RESTRICTED) restricted.addSubnet(network, prefix, type);

/** Names that stay on this machine or its link, whatever DNS says. */
const LOCAL_NAME = /^(?:localhost|.+\.localhost|.+\.local)\.?$/i;

/** How long a host name may take to resolve at the dial. */
export const SIP_HOST_LOOKUP_TIMEOUT_MS = 2000;

/** The operator's exceptions (SIP_ALLOWED_HOSTS), parsed once at start-up. */
export interface SipHostPolicy {
  readonly names: ReadonlySet<string>;
  readonly addresses: BlockList;
  /** As written, for logs and the read-back. */
  readonly listed: readonly string[];
}

export type SipHostPolicyResult = { ok: true; policy: SipHostPolicy } | { ok: false; errors: string[] };

/** The default: nothing listed, so every restricted address is refused. */
export const NO_SIP_HOSTS_ALLOWED: SipHostPolicy = { names: new Set(), addresses: new BlockList(), listed: [] };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Parses a comma list of host names, IP addresses and CIDRs (`pbx.internal, 10.1.2.3, 10.20.0.0/16, fd00::/8`). */
export function parseSipHostPolicy(text: string | undefined): SipHostPolicyResult {
  const names = new Set<string>();
  const addresses = new BlockList();
  const errors: string[] = [];
  const listed = (text ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of listed) {
    const [address = '', prefixText, extra] = unbracket(entry).split('/');
    const type = isIP(address);
    if (extra !== undefined) errors.push(`'${entry}' is not a host, an IP address or a CIDR`);
    else if (prefixText !== undefined) {
      const prefix = Number(prefixText);
      const max = type === 6 ? 128 : 32;
      if (type === 0 || !/^\d{1,3}$/.test(prefixText) || prefix > max) errors.push(`'${entry}' is not a CIDR such as 10.20.0.0/16 or fd00::/8`);
      else addresses.addSubnet(address, prefix, type === 6 ? 'ipv6' : 'ipv4');
    } else if (type !== 0) addresses.addAddress(address, type === 6 ? 'ipv6' : 'ipv4');
    else if (HOST_NAME.test(entry)) names.add(entry.toLowerCase());
    else errors.push(`'${entry}' is not a host name, an IP address or a CIDR`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policy: { names, addresses, listed } };
}

export type Resolve = (host: string, signal: AbortSignal) => Promise<string[]>;

/** Every address `host` resolves to (A and AAAA), as the SIP service would look it up. */
export const resolveHost: Resolve = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

export type SipHostCheck = { ok: true } | { ok: false; why: string; address?: string };

/** Whether a SIP address at `host` (a name, an IPv4 address or a bracketed IPv6 address) may be dialled. */
export async function checkSipHost(
  host: string, policy: SipHostPolicy, resolve: Resolve = resolveHost, timeoutMs = SIP_HOST_LOOKUP_TIMEOUT_MS,
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
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (policy.addresses.check(address, type)) return { ok: true };
  if (restricted.check(address, type)) {
    return { ok: false, why: 'the host is a loopback, private, link-local or unspecified address not listed in SIP_ALLOWED_HOSTS', address };
  }
  return { ok: true };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
