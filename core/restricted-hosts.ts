// Addresses that nothing a tenant writes may reach unless the operator lists them: loopback, private, shared
// (CGNAT), link-local (cloud metadata at 169.254.169.254), unspecified, multicast and reserved ranges, in IPv4
// and IPv6 (IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of them too). Shared by the SIP destination check
// (agent/transfer/dial/sip-host.ts, SIP_ALLOWED_HOSTS) and the webhook sender (settings/webhook-url.ts,
// SETTINGS_WEBHOOK_ALLOWED_HOSTS), so both refuse the same ranges and parse the operator's list the same way.
import { BlockList, isIP } from 'node:net';

const RESTRICTED: ReadonlyArray<readonly [string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  // IPv4-compatible (::a.b.c.d, which also holds :: and ::1); IPv4-mapped (::ffff:a.b.c.d) is matched against
  // the IPv4 ranges above by BlockList itself.
  ['::', 96, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['64:ff9b:1::', 48, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2002::', 16, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['fec0::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

const restricted = new BlockList();
for (const [network, prefix, type] of RESTRICTED) restricted.addSubnet(network, prefix, type);

/** Names that stay on this machine or its link, whatever DNS says. */
export const LOCAL_NAME = /^(?:localhost|.+\.localhost|.+\.local)\.?$/i;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** The operator's exceptions, parsed once at start-up. */
export interface HostPolicy {
  readonly names: ReadonlySet<string>;
  readonly addresses: BlockList;
  /** As written, for logs and the read-back. */
  readonly listed: readonly string[];
}

export type HostPolicyResult = { ok: true; policy: HostPolicy } | { ok: false; errors: string[] };

/** The default: nothing listed, so every restricted address is refused. */
export const NO_HOSTS_ALLOWED: HostPolicy = { names: new Set(), addresses: new BlockList(), listed: [] };

/** Parses a comma list of host names, IP addresses and CIDRs (`pbx.internal, 10.1.2.3, 10.20.0.0/16, fd00::/8`). */
export function parseHostPolicy(text: string | undefined): HostPolicyResult {
  const names = new Set<string>();
  const addresses = new BlockList();
  const errors: string[] = [];
  const listed = (text ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
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

/** Whether an IP address (no brackets) is in a restricted range and not listed by the operator. */
export function isRestrictedAddress(address: string, policy: HostPolicy): boolean {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (policy.addresses.check(address, type)) return false;
  return restricted.check(address, type);
}

export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
