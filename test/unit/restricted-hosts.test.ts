// The restricted ranges shared by SIP destinations and webhooks (core/restricted-hosts.ts), as properties:
// an IPv4 address in a restricted range is restricted in every IPv6 form that carries it (mapped, compatible,
// NAT64, 6to4), a public one in none of them, and an operator's listed address or CIDR is let through.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRestrictedAddress, NO_HOSTS_ALLOWED, parseHostPolicy } from '../../core/restricted-hosts.ts';

const byte = fc.integer({ min: 0, max: 255 });
const restricted = fc.oneof(
  fc.tuple(fc.constantFrom(0, 10, 127), byte, byte, byte),
  fc.tuple(fc.constant(169), fc.constant(254), byte, byte),
  fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), byte, byte),
  fc.tuple(fc.constant(192), fc.constantFrom(0, 168), fc.constant(0), byte),
  fc.tuple(fc.constant(198), fc.constantFrom(18, 19), byte, byte),
  fc.tuple(fc.constant(100), fc.integer({ min: 64, max: 127 }), byte, byte),
  fc.tuple(fc.integer({ min: 224, max: 255 }), byte, byte, byte),
);
// Outside every restricted range: first octets 1-9, 11-99 and 101-126 hold no private, reserved or special block.
const publicV4 = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 11, max: 99 }), fc.integer({ min: 101, max: 126 })), byte, byte, byte);

const hex = (p: number[]) => `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
const forms = (p: number[]) => [p.join('.'), `::ffff:${p.join('.')}`, `::ffff:${hex(p)}`, `::${p.join('.')}`, `64:ff9b::${p.join('.')}`, `2002:${hex(p)}::1`];

describe('restricted addresses', () => {
  it('a restricted IPv4 address is restricted in every spelling that carries it', () => {
    fc.assert(
      fc.property(restricted, (p) => forms(p).every((a) => isRestrictedAddress(a, NO_HOSTS_ALLOWED))),
      { numRuns: 500 },
    );
  });

  it('a public address is not restricted, plain or IPv4-mapped; the special IPv6 blocks are', () => {
    fc.assert(
      fc.property(publicV4, (p) => !isRestrictedAddress(p.join('.'), NO_HOSTS_ALLOWED) && !isRestrictedAddress(`::ffff:${p.join('.')}`, NO_HOSTS_ALLOWED)),
      { numRuns: 500 },
    );
    for (const a of ['2606:4700:4700::1111', '2001:4860:4860::8888', '8.8.8.8']) expect(isRestrictedAddress(a, NO_HOSTS_ALLOWED)).toBe(false);
    for (const a of ['::1', '::', 'fe80::1', 'fd00::1', 'ff02::1', 'fec0::1', '100::1']) expect(isRestrictedAddress(a, NO_HOSTS_ALLOWED)).toBe(true);
  });

  it("the operator's listed addresses and CIDRs pass, and nothing next to them", () => {
    const parsed = parseHostPolicy('127.0.0.1, 10.20.0.0/16, ::1');
    if (!parsed.ok) throw new Error(parsed.errors.join('; '));
    const allowed = parsed.policy;
    expect(['127.0.0.1', '::ffff:127.0.0.1', '10.20.3.4', '::1'].map((a) => isRestrictedAddress(a, allowed))).toEqual([false, false, false, false]);
    expect(['127.0.0.2', '10.21.0.1', '::'].map((a) => isRestrictedAddress(a, allowed))).toEqual([true, true, true]);
  });
});
