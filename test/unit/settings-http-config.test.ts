// The settings service's HTTP settings from the environment: SETTINGS_TRUST_PROXY in each of its forms, and
// SETTINGS_SESSION_TTL_S within its range; anything else is refused at start-up with the variable named.
import { describe, expect, it } from 'vitest';
import { parseSessionTtl, parseTrustProxy } from '../../settings-service/http-config.ts';

describe('SETTINGS_TRUST_PROXY', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
    ['127.0.0.1', '127.0.0.1'],
    [' 127.0.0.1 , 10.0.0.0/8, ::1, fd00::/8 ', '127.0.0.1,10.0.0.0/8,::1,fd00::/8'],
  ])('%j is %j', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual({ ok: true, value: expected });
  });

  it('a number trusts that many nearest hops', () => {
    const parsed = parseTrustProxy('2');
    if (!parsed.ok || typeof parsed.value !== 'function') throw new Error(`not a hop count: ${JSON.stringify(parsed)}`);
    expect([0, 1, 2, 3].map((hop) => (parsed.value as (a: string, h: number) => boolean)('10.0.0.1', hop))).toEqual([true, true, false, false]);
  });

  it.each(['yes', 'proxy.example.com', '10.0.0.0/33', '127.0.0.1/8/1', '10.0.0.1,,'])('%j is refused, naming the variable', (raw) => {
    const parsed = parseTrustProxy(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/^SETTINGS_TRUST_PROXY: /);
  });
});

describe('SETTINGS_SESSION_TTL_S', () => {
  it('is 8 hours by default and takes whole seconds from 5 minutes to 7 days', () => {
    expect(parseSessionTtl(undefined)).toEqual({ ok: true, value: 28_800 });
    expect(parseSessionTtl('300')).toEqual({ ok: true, value: 300 });
    expect(parseSessionTtl('604800')).toEqual({ ok: true, value: 604_800 });
  });

  it.each(['299', '604801', '1e4', '3600.5', '-1', 'eight hours'])('%j is refused', (raw) => {
    const parsed = parseSessionTtl(raw);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain('SETTINGS_SESSION_TTL_S');
  });
});
