// Security headers on every response of the settings service. The settings page is the one HTML answer
// with active content: its inline script and style carry a nonce made for that response, and its policy
// names that nonce (no 'unsafe-inline'). Everything else gets a policy that allows nothing at all. No
// response may be framed (clickjacking), sniffed into another type, or leak its URL in a Referer; over HTTPS,
// browsers are told to stay on it (HSTS).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

const NOTHING = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A fresh nonce for one page response. */
export const newNonce = () => randomBytes(18).toString('base64');

/** The policy of a page whose script and style carry `nonce`: it talks to this origin only. */
export function pagePolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "media-src 'self'",
    "img-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', NOTHING);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    // Over HTTPS (directly, or behind a proxy SETTINGS_TRUST_PROXY trusts): browsers keep to HTTPS for a year.
    if (request.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
}
