import { describe, expect, it } from 'vitest';
import { destinationKey, formatDestination, parseDestination } from '../../settings/destination.ts';
import type { Destination } from '../../settings/destination.ts';

const ERIC: Destination = { kind: 'phone', e164: '+15125551234' };

const ACCEPTED: [string, Destination][] = [
  ['+1 512 555 1234', ERIC],
  ['+15125551234', ERIC],
  ['(512) 555-1234', ERIC],
  ['512.555.1234', ERIC],
  ['512-555-1234', ERIC],
  ['5125551234', ERIC],
  ['1-512-555-1234', ERIC],
  ['1 (512) 555-1234', ERIC],
  ['+1 (512) 555-1234', ERIC],
  ['  +1-512-555-1234  ', ERIC],
  ['+1 900 555 0000', { kind: 'phone', e164: '+19005550000' }],
  ['ext:1002', { kind: 'extension', extension: '1002' }],
  ['pbx:1002', { kind: 'extension', extension: '1002' }],
  ['EXT:1002', { kind: 'extension', extension: '1002' }],
  ['pbx:*72#', { kind: 'extension', extension: '*72#' }],
  ['ext:123456789012345', { kind: 'extension', extension: '123456789012345' }],
  ['sip:alice@pbx.example.com', { kind: 'sip', uri: 'sip:alice@pbx.example.com', user: 'alice', host: 'pbx.example.com', transport: 'udp' }],
  [
    'sip:alice@PBX.Example.com:5070',
    { kind: 'sip', uri: 'sip:alice@pbx.example.com:5070', user: 'alice', host: 'pbx.example.com', port: 5070, transport: 'udp' },
  ],
  ['sip:alice@10.0.0.5;transport=tcp', { kind: 'sip', uri: 'sip:alice@10.0.0.5;transport=tcp', user: 'alice', host: '10.0.0.5', transport: 'tcp' }],
  ['sip:alice@10.0.0.5;transport=UDP', { kind: 'sip', uri: 'sip:alice@10.0.0.5', user: 'alice', host: '10.0.0.5', transport: 'udp' }],
  ['sips:bob@example.com', { kind: 'sip', uri: 'sips:bob@example.com', user: 'bob', host: 'example.com', transport: 'tls' }],
  ['sips:bob@example.com;transport=tls', { kind: 'sip', uri: 'sips:bob@example.com', user: 'bob', host: 'example.com', transport: 'tls' }],
  [
    'sip:+15125551234@trunk.example.com',
    { kind: 'sip', uri: 'sip:+15125551234@trunk.example.com', user: '+15125551234', host: 'trunk.example.com', transport: 'udp' },
  ],
  ['sip:bob@[2001:db8::1]:5060', { kind: 'sip', uri: 'sip:bob@[2001:db8::1]:5060', user: 'bob', host: '[2001:db8::1]', port: 5060, transport: 'udp' }],
];

const REFUSED: [string, string][] = [
  ['', 'the destination is empty'],
  ['1-800-FLOWERS', "'1-800-FLOWERS' is not a phone number: it contains letters; write the number as digits"],
  ['+44 20 7946 0958', "'+44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled"],
  ['011 44 20 7946 0958', "'011 44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled"],
  ['555-1234', "'555-1234' has 7 digits: a US phone number has 10, or 11 starting with 1"],
  ['+1 512 555 12345', "'+1 512 555 12345' has 12 digits: a US phone number has 10, or 11 starting with 1"],
  ['2-512-555-1234', "'2-512-555-1234' has 11 digits: a US phone number has 10, or 11 starting with 1"],
  ['5125-55-5123', "'5125-55-5123' is not written like a US phone number: write +15125551234 or (512) 555-1234"],
  ['512 555 1234 #', "'512 555 1234 #' is not a phone number: it contains '#'"],
  ['112-555-1234', "'112-555-1234' is not a valid US phone number: the area code cannot start with 1"],
  ['(012) 555-1234', "'(012) 555-1234' is not a valid US phone number: the area code cannot start with 0"],
  ['512-055-1234', "'512-055-1234' is not a valid US phone number: the exchange (digits 4-6) cannot start with 0"],
  ['tel:+15125551234', "'tel:+15125551234' is not a destination: write a US phone number, ext:, pbx:, sip: or sips:"],
  ['ext:', "'ext:' names no extension: write ext:1002"],
  ['pbx:', "'pbx:' names no extension: write pbx:1002"],
  ['ext:12a', "'ext:12a' is not a valid extension: only digits, * and # are allowed"],
  ['ext:1234567890123456', "'ext:1234567890123456' is not a valid extension: at most 15 characters"],
  ['<sip:alice@pbx.example.com>', "'<sip:alice@pbx.example.com>' is not a destination: write it bare, without angle brackets or quotes"],
  ['"Alice" sip:alice@pbx.example.com', `'"Alice" sip:alice@pbx.example.com' is not a destination: write it bare, without angle brackets or quotes`],
  ['sip:alice@pbx.example.com>', "'sip:alice@pbx.example.com>' is not an allowed SIP address: angle brackets are not allowed; write the bare sip: address"],
  ['sip:ali"ce@pbx.example.com', `'sip:ali"ce@pbx.example.com' is not an allowed SIP address: quotes are not allowed`],
  ['sip:alice@pbx.example.com?X-Evil=1', "'sip:alice@pbx.example.com?X-Evil=1' is not an allowed SIP address: SIP headers (after '?') are not allowed"],
  ['sip:alice@pbx.example.com\r\nX-Evil: 1', "'sip:alice@pbx.example.com\\x0d\\x0aX-Evil: 1' is not an allowed SIP address: it contains a space or line break"],
  [
    'sip:alice@pbx.example.com;maddr=203.0.113.9',
    "'sip:alice@pbx.example.com;maddr=203.0.113.9' is not an allowed SIP address: parameter 'maddr=203.0.113.9' is not allowed; the only parameter is one transport=udp, tcp or tls",
  ],
  [
    'sip:alice@pbx.example.com;transport=sctp',
    "'sip:alice@pbx.example.com;transport=sctp' is not an allowed SIP address: parameter 'transport=sctp' is not allowed; the only parameter is one transport=udp, tcp or tls",
  ],
  [
    'sip:a@b.com;transport=tcp;transport=udp',
    "'sip:a@b.com;transport=tcp;transport=udp' is not an allowed SIP address: parameter 'transport=udp' is not allowed; the only parameter is one transport=udp, tcp or tls",
  ],
  ['sips:bob@example.com;transport=udp', "'sips:bob@example.com;transport=udp' is not an allowed SIP address: sips: addresses always use TLS"],
  ['sip:pbx.example.com', "'sip:pbx.example.com' is not an allowed SIP address: it has no user; write sip:user@host"],
  ['sip:@pbx.example.com', "'sip:@pbx.example.com' is not an allowed SIP address: it has no user; write sip:user@host"],
  ['sip:alice@', "'sip:alice@' is not an allowed SIP address: it has no host"],
  ['sip:alice@bob@pbx.example.com', "'sip:alice@bob@pbx.example.com' is not an allowed SIP address: it has more than one '@'"],
  ['sip:alice:secret@pbx.example.com', "'sip:alice:secret@pbx.example.com' is not an allowed SIP address: passwords are not allowed in the address"],
  [
    'sip:al%69ce@pbx.example.com',
    "'sip:al%69ce@pbx.example.com' is not an allowed SIP address: the user 'al%69ce' may contain only letters, digits and . _ ~ + * -",
  ],
  ['sip:alice@pbx_example.com', "'sip:alice@pbx_example.com' is not an allowed SIP address: the host 'pbx_example.com' is not a valid host name or IP address"],
  ['sip:alice@300.0.0.1', "'sip:alice@300.0.0.1' is not an allowed SIP address: the host '300.0.0.1' is not a valid host name or IP address"],
  ['sip:alice@pbx.example.com:0', "'sip:alice@pbx.example.com:0' is not an allowed SIP address: the port '0' is not a number from 1 to 65535"],
  ['sip:alice@pbx.example.com:65536', "'sip:alice@pbx.example.com:65536' is not an allowed SIP address: the port '65536' is not a number from 1 to 65535"],
  ['sip:alice@pbx.example.com:50x', "'sip:alice@pbx.example.com:50x' is not an allowed SIP address: the port '50x' is not a number from 1 to 65535"],
  ['sip:alice@pbx.example.com:', "'sip:alice@pbx.example.com:' is not an allowed SIP address: the port '' is not a number from 1 to 65535"],
];

describe('parseDestination', () => {
  it.each(ACCEPTED)('accepts %j', (raw, destination) => {
    expect(parseDestination(raw)).toEqual({ ok: true, destination });
  });

  it.each(REFUSED)('refuses %j', (raw, error) => {
    expect(parseDestination(raw)).toEqual({ ok: false, error });
  });

  it('shortens a long input in its error, so one bad value cannot flood a log line', () => {
    const result = parseDestination(`sip:${'a'.repeat(200)}@b.com?x=1`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.length).toBeLessThan(140);
  });
});

describe('formatDestination', () => {
  it.each([
    ['+15125551234', '+1 512 555 1234'],
    ['pbx:1002', 'extension 1002'],
    ['sip:alice@PBX.example.com:5070;transport=tcp', 'sip:alice@pbx.example.com:5070;transport=tcp'],
  ])('writes %j as %j', (raw, shown) => {
    const parsed = parseDestination(raw);
    expect(parsed.ok && formatDestination(parsed.destination)).toBe(shown);
  });
});

describe('destinationKey', () => {
  const key = (raw: string) => {
    const parsed = parseDestination(raw);
    return parsed.ok ? destinationKey(parsed.destination) : `error: ${parsed.error}`;
  };

  it.each([
    ['+1 (512) 555-1234', '512.555.1234'],
    ['ext:1002', 'pbx:1002'],
    ['sip:Alice@pbx.example.com', 'SIP:alice@PBX.EXAMPLE.COM;transport=udp'],
  ])('treats %j and %j as one destination', (a, b) => {
    expect(key(a)).toBe(key(b));
  });

  it.each([
    ['sip:alice@pbx.example.com', 'sip:alice@pbx.example.com;transport=tcp'],
    ['sip:alice@pbx.example.com', 'sips:alice@pbx.example.com'],
    ['ext:1002', 'ext:10020'],
  ])('tells %j from %j', (a, b) => {
    expect(key(a)).not.toBe(key(b));
  });
});
