// Where a webhook may go. An organization writes its agents' webhookUrl, and the service POSTs to it from inside
// the operator's network: without checks, a tenant could make the service reach loopback, private or link-local
// hosts (cloud metadata at 169.254.169.254) and learn from the outcome. So:
// - at save, a URL that can never be valid is refused with its reason: not http(s), credentials in it, longer
//   than WEBHOOK_URL_MAX_LENGTH, or a host that is a restricted IP literal in any spelling (the URL parser turns
//   2130706433, 0x7f.1 or 017700000001 into 127.0.0.1, [::ffff:127.0.0.1] into [::ffff:7f00:1]) or a local name;
// - at delivery, the host name is resolved once, EVERY address it resolves to must pass, and the connection goes
//   to a checked address (the lookup is the socket's own, so there is no second lookup for DNS rebinding to use);
// - a 3xx answer is a failed delivery, never followed.
// The operator's SETTINGS_WEBHOOK_ALLOWED_HOSTS (host names, IPs, CIDRs) allows listed hosts in restricted ranges.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type HostPolicy, isRestrictedAddress, LOCAL_NAME, parseHostPolicy, unbracket } from '../core/restricted-hosts.ts';

export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const WEBHOOK_LOOKUP_TIMEOUT_MS = 2000;
const ALLOW_SETTING = 'SETTINGS_WEBHOOK_ALLOWED_HOSTS';

let cached: { text: string; policy: HostPolicy } | undefined;

/** The operator's allow list from SETTINGS_WEBHOOK_ALLOWED_HOSTS; throws naming every bad entry. */
export function webhookHostPolicy(text = process.env[ALLOW_SETTING] ?? ''): HostPolicy {
  if (cached?.text === text) return cached.policy;
  const parsed = parseHostPolicy(text);
  if (!parsed.ok) throw new Error(`${ALLOW_SETTING}: ${parsed.errors.join('; ')}`);
  cached = { text, policy: parsed.policy };
  return parsed.policy;
}

/** Why `value` can never be a webhook URL (the problem, starting with the field), or undefined when it may be. */
export function webhookUrlProblem(value: unknown, policy: HostPolicy): string | undefined {
  if (typeof value !== 'string') return 'webhookUrl: must be an http:// or https:// URL';
  if (value.length > WEBHOOK_URL_MAX_LENGTH) return `webhookUrl: is longer than ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'webhookUrl: must be an http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'webhookUrl: must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'webhookUrl: must not carry a user name or password; receivers check the signature instead';
  const host = unbracket(url.hostname);
  if (isIP(host) !== 0) {
    if (isRestrictedAddress(host, policy)) {
      return `webhookUrl: ${host} is a loopback, private, link-local, multicast or reserved address; only hosts the operator lists in ${ALLOW_SETTING} may be`;
    }
  } else if (!policy.names.has(host) && LOCAL_NAME.test(host)) {
    return `webhookUrl: ${host} is a local name (localhost, .localhost or .local); only hosts the operator lists in ${ALLOW_SETTING} may be`;
  }
  return undefined;
}

/** Every address a name resolves to, bounded in time (tests pass their own). */
export type Resolve = (host: string) => Promise<string[]>;
export const resolveAll: Resolve = async (host) => (await dnsLookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** Raised when a delivery is refused before any byte is sent. */
export class RefusedHost extends Error {}

/** A socket lookup that resolves once, checks every address, and hands the socket only checked addresses. */
function guardedLookup(policy: HostPolicy, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    const host = unbracket(hostname).toLowerCase();
    const trusted = policy.names.has(host);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new RefusedHost(`${host} did not resolve within ${WEBHOOK_LOOKUP_TIMEOUT_MS} ms`)), WEBHOOK_LOOKUP_TIMEOUT_MS).unref(),
    );
    Promise.race([resolve(host), timeout])
      .then((addresses) => {
        if (addresses.length === 0) throw new RefusedHost(`${host} resolves to no address`);
        const bad = trusted ? undefined : addresses.find((a) => isRestrictedAddress(a, policy));
        if (bad)
          throw new RefusedHost(`${host} resolves to ${bad}, a loopback, private, link-local, multicast or reserved address not listed in ${ALLOW_SETTING}`);
        const family = (a: string) => (isIP(a) === 6 ? 6 : 4);
        if (options.all)
          callback(
            null,
            addresses.map((address) => ({ address, family: family(address) })),
          );
        else callback(null, addresses[0]!, family(addresses[0]!));
      })
      .catch((error: unknown) => callback(error instanceof RefusedHost ? error : new RefusedHost(`${host} did not resolve (${String(error)})`), '', 4));
  };
}

export type PostOutcome = { ok: true; status: number } | { ok: false; status?: number; why: string; refused?: boolean };

/** One POST to a checked address, no redirects followed, within `timeoutMs` from the lookup to the answer's head. */
export function postChecked(
  url: string,
  body: string,
  headers: Record<string, string>,
  policy: HostPolicy,
  timeoutMs: number,
  resolve: Resolve = resolveAll,
  signal?: AbortSignal,
): Promise<PostOutcome> {
  const problem = webhookUrlProblem(url, policy);
  if (problem) return Promise.resolve({ ok: false, why: problem.replace(/^webhookUrl: /, ''), refused: true });
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveOutcome) => {
    const request = send(target, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(policy, resolve),
    });
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    const abort = () => request.destroy(new Error('the sender stopped'));
    signal?.addEventListener('abort', abort, { once: true });
    request.on('close', () => signal?.removeEventListener('abort', abort));
    request.on('response', (response: IncomingMessage) => {
      clearTimeout(timer);
      response.resume();
      request.destroy();
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) resolveOutcome({ ok: true, status });
      else if (status >= 300 && status < 400) resolveOutcome({ ok: false, status, why: `answered ${status} (a redirect, not followed)` });
      else resolveOutcome({ ok: false, status, why: `answered ${status}` });
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      resolveOutcome({ ok: false, why: error.message, refused: error instanceof RefusedHost });
    });
    request.end(body);
  });
}
