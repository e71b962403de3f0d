import { describe, expect, it } from 'vitest';
import { parseDestination } from '../../agent/settings/destination.ts';
import type { Destination } from '../../agent/settings/destination.ts';
import { allowlist, parseRules } from '../../agent/settings/rules.ts';
import type { Rule } from '../../agent/settings/rules.ts';

const EXAMPLE = `If the caller has a billing dispute, warm transfer to ext:1002.

If the caller asks for Eric, warm transfer to +15125551234.
First confirm with the caller that they would like to be transferred.

If the caller needs sales, warm transfer to ext:2001, or if they are unavailable to ext:2002.`;

const ext = (extension: string): Destination => ({ kind: 'extension', extension });
const phone = (e164: string): Destination => ({ kind: 'phone', e164 });
const dest = (raw: string): Destination => {
  const parsed = parseDestination(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.destination;
};

function rulesOf(text: string): Rule[] {
  const parsed = parseRules(text);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  return parsed.rules;
}

describe('parseRules on the documented example', () => {
  const rules = rulesOf(EXAMPLE);

  it('finds three rules with their destinations in order, confirmation and labels', () => {
    expect(rules.map(({ index, destinations, confirmFirst, label }) => ({ index, destinations, confirmFirst, label }))).toEqual([
      { index: 1, destinations: [ext('1002')], confirmFirst: false, label: 'billing dispute' },
      { index: 2, destinations: [phone('+15125551234')], confirmFirst: true, label: 'Eric' },
      { index: 3, destinations: [ext('2001'), ext('2002')], confirmFirst: false, label: 'sales' },
    ]);
  });

  it('keeps a continuation line in the rule above it', () => {
    expect(rules[1]?.text).toBe(
      'If the caller asks for Eric, warm transfer to +15125551234. First confirm with the caller that they would like to be transferred.',
    );
  });
});

describe('splitting rules', () => {
  it.each([
    ['one rule per line', 'If billing, transfer to ext:1.\nIf sales, transfer to ext:2.', 2],
    ['blank lines', 'If billing, transfer to ext:1.\n\n\nIf sales, transfer to ext:2.', 2],
    ['list markers', '- billing: transfer to ext:1\n* sales: transfer to ext:2\n3) support: transfer to ext:3', 3],
    ['When', 'When the caller asks for billing, transfer to ext:1.\nWhen they need sales, transfer to ext:2.', 2],
    ['Windows line ends', 'If billing, transfer to ext:1.\r\n\r\nIf sales, transfer to ext:2.', 2],
    ['a fallback on a line of its own', 'If sales, transfer to ext:2001.\nOtherwise transfer to ext:2002.', 1],
    ['empty text', '  \n\n ', 0],
  ])('splits on %s', (_, text, count) => {
    expect(rulesOf(text)).toHaveLength(count);
  });

  it('keeps guidance that names no destination as a rule with none', () => {
    expect(rulesOf('If the caller declines the transfer, take a message.')).toEqual([
      { index: 1, text: 'If the caller declines the transfer, take a message.', destinations: [], confirmFirst: false },
    ]);
  });
});

describe('finding destinations', () => {
  it.each([
    ['a SIP address with a transport', 'If the caller wants a manager, transfer them to sip:mgr@pbx.example.com;transport=tcp.', ['sip:mgr@pbx.example.com;transport=tcp']],
    ['a phone number in another notation', 'If Eric is asked for, warm transfer to (512) 555-1234.', ['+15125551234']],
    ['a phone number fallback after an extension', 'If sales, transfer to ext:2001, or if busy to 1-512-555-1234.', ['ext:2001', '+15125551234']],
    ['pbx: with a space after the colon', 'If support, transfer to pbx: 3001.', ['pbx:3001']],
    ['the same destination twice, once', 'If sales, transfer to ext:2001, or if busy to pbx:2001.', ['ext:2001']],
    ['not the caller number in the condition', 'If the caller is calling from 512-555-0000, transfer to ext:9.', ['ext:9']],
    ['not short numbers such as times', 'If billing, transfer to ext:1002 within 30 seconds, up to 3 times.', ['ext:1002']],
    ['an extension even without "transfer to"', 'If nobody else can help, try ext:4000.', ['ext:4000']],
  ])('finds %s', (_, text, expected) => {
    expect(rulesOf(text)[0]?.destinations).toEqual(expected.map(dest));
  });

  it.each([
    ['First confirm with the caller that they would like to be transferred.', true],
    ['Check with them before transferring.', true],
    ['Ask the caller first.', true],
    ['If the caller wants to confirm an appointment, transfer to ext:5.', false],
    ['If the caller wants to check their balance, transfer to ext:5 before 5pm.', false],
  ])('reads confirmFirst from %j as %s', (sentence, confirmFirst) => {
    const text = sentence.startsWith('If') ? sentence : `If billing, transfer to ext:5. ${sentence}`;
    expect(rulesOf(text)[0]?.confirmFirst).toBe(confirmFirst);
  });
});

describe('rule errors', () => {
  it.each([
    ['a non-US number', 'If billing, transfer to ext:1.\n\nIf the caller asks for London, warm transfer to +44 20 7946 0958.', [
      "rule 2: '+44 20 7946 0958' is not a US phone number: only +1 numbers can be dialled",
    ]],
    ['a vanity number', 'If flowers, transfer to 1-800-FLOWERS.', [
      "rule 1: '1-800-FLOWERS' is not a phone number: it contains letters; write the number as digits",
    ]],
    ['a transfer with no destination', 'If billing, transfer to ext:1.\nIf the caller wants a human, transfer them to someone nice.', [
      "rule 2: it says 'transfer to' but names no destination (write ext:1002, a US phone number or a sip: address)",
    ]],
    ['an injected SIP header', 'If sales, transfer to sip:sales@pbx.example.com?X-Evil=1.', [
      "rule 1: 'sip:sales@pbx.example.com?X-Evil=1' is not an allowed SIP address: SIP headers (after '?') are not allowed",
    ]],
    ['an empty extension', 'If sales, transfer to ext:, or to ext:12a.', [
      "rule 1: 'ext:' names no extension: write ext:1002",
      "rule 1: 'ext:12a' is not a valid extension: only digits, * and # are allowed",
    ]],
    ['a seven-digit number', 'If support, transfer to 555-1234.', [
      "rule 1: '555-1234' has 7 digits: a US phone number has 10, or 11 starting with 1",
    ]],
  ])('reports %s with its rule number', (_, text, errors) => {
    expect(parseRules(text)).toEqual({ ok: false, errors });
  });

  it('reports problems in several rules together', () => {
    const result = parseRules('If a, transfer to +44 20 7946 0958.\nIf b, transfer to ext:1.\nIf c, transfer to nobody.');
    expect(result.ok === false && result.errors.map((e) => e.slice(0, 6))).toEqual(['rule 1', 'rule 3']);
  });
});

describe('allowlist', () => {
  const list = allowlist(rulesOf(EXAMPLE));

  it.each([
    ['+1 (512) 555-1234', '+15125551234'],
    ['512.555.1234', '+15125551234'],
    ['1 512 555 1234', '+15125551234'],
    ['pbx:1002', 'ext:1002'],
    ['ext:2002', 'ext:2002'],
  ])('finds %j as the rule destination %j', (raw, ruleForm) => {
    expect(list.find(raw)).toEqual(dest(ruleForm));
  });

  it.each([
    ['+1 900 555 0000'],
    ['+1 512 555 1235'],
    ['ext:1003'],
    ['ext:10020'],
    ['sip:1002@pbx.example.com'],
    ['+44 20 7946 0958'],
    ['1002'],
    [''],
  ])('refuses %j, which no rule names', (raw) => {
    expect(list.find(raw)).toBeUndefined();
    const parsed = parseDestination(raw);
    if (parsed.ok) expect(list.isAllowed(parsed.destination)).toBe(false);
  });

  it('gives the fallback chain from a destination onwards', () => {
    expect(list.chainFor(ext('2001'))).toEqual([ext('2001'), ext('2002')]);
    expect(list.chainFor(ext('2002'))).toEqual([ext('2002')]);
    expect(list.chainFor(phone('+15125551234'))).toEqual([phone('+15125551234')]);
    expect(list.chainFor(ext('9999'))).toEqual([]);
  });

  it('lists each destination once, in the order first named', () => {
    const twice = allowlist(rulesOf('If a, transfer to ext:1, or to ext:2.\nIf b, transfer to ext:2, or to ext:3.'));
    expect(twice.destinations).toEqual([ext('1'), ext('2'), ext('3')]);
    expect(twice.chainFor(ext('2'))).toEqual([ext('2')]);
  });

  it('matches SIP addresses whatever their case', () => {
    const sip = allowlist(rulesOf('If a manager, transfer to sip:Mgr@PBX.example.com:5070.'));
    expect(sip.find('SIP:mgr@pbx.example.com:5070;transport=udp')).toEqual(dest('sip:Mgr@pbx.example.com:5070'));
    expect(sip.find('sip:mgr@pbx.example.com')).toBeUndefined();
  });
});
