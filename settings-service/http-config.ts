// The settings service's HTTP settings from the environment, read once at start-up: whose forwarding
// headers to trust (SETTINGS_TRUST_PROXY) and how long a page session lives (SETTINGS_SESSION_TTL_S).
// Each returns a value or a message naming the variable and what it accepts.
import { isIP } from 'node:net';
import type { TrustProxy } from './app.ts';

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Unset, empty or `false`: no proxy is trusted (X-Forwarded-* are ignored). `true`: every hop is trusted.
 * A number N: the N nearest hops. Otherwise a comma list of addresses and CIDRs of the proxies.
 */
export function parseTrustProxy(raw: string | undefined): Parsed<TrustProxy> {
  const text = (raw ?? '').trim();
  if (text === '' || text === 'false') return { ok: true, value: false };
  if (text === 'true') return { ok: true, value: true };
  if (/^\d{1,2}$/.test(text)) {
    const hops = Number(text);
    return { ok: true, value: (_address: string, hop: number) => hop < hops };
  }
  const entries = text.split(',').map((e) => e.trim());
  const bad = entries.filter((e) => {
    const [address = '', bits, ...rest] = e.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return true;
    return bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  });
  if (bad.length > 0) {
    return {
      ok: false,
      error: `SETTINGS_TRUST_PROXY: '${bad.join("', '")}' is not an IP address or CIDR; use true, false, a hop count, or a comma list such as 127.0.0.1,10.0.0.0/8`,
    };
  }
  return { ok: true, value: entries.join(',') };
}

/** A session's absolute lifetime in seconds: 5 minutes to 7 days, 8 hours by default. */
export function parseSessionTtl(raw: string | undefined): Parsed<number> {
  const text = (raw ?? '').trim();
  if (text === '') return { ok: true, value: 8 * 3600 };
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < 300 || seconds > 7 * 86_400) {
    return { ok: false, error: `SETTINGS_SESSION_TTL_S must be a whole number of seconds from 300 to 604800, not '${text}'` };
  }
  return { ok: true, value: seconds };
}
