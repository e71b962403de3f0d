// Where a call can be transferred: a US phone number, a PBX extension (dialled through the PBX's SIP
// registration) or a SIP address. Every destination, whether from settings or from the model, passes
// through parseDestination, so its refusals are the dial policy: +1 numbers only, and no SIP headers or
// parameters that could smuggle anything into the INVITE.
import { mask, pii, type PiiData } from '../core/pii.ts';

export type SipTransport = 'udp' | 'tcp' | 'tls';

export type Destination =
  | { kind: 'phone'; e164: string }
  | { kind: 'extension'; extension: string }
  | { kind: 'sip'; uri: string; user: string; host: string; port?: number; transport: SipTransport };

export type DestinationResult = { ok: true; destination: Destination } | { ok: false; error: string };

const fail = (error: string): DestinationResult => ({ ok: false, error });
const ok = (destination: Destination): DestinationResult => ({ ok: true, destination });

/** Parses one destination as written by a person or a model; errors are sentences that quote the input. */
export function parseDestination(raw: string): DestinationResult {
  const text = raw.trim();
  if (text === '') return fail('the destination is empty');
  if (/^[<"']/.test(text)) return fail(`${quote(text)} is not a destination: write it bare, without angle brackets or quotes`);
  const scheme = /^([a-z]+):/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'ext' || scheme === 'pbx') return parseExtension(text, scheme);
  if (scheme === 'sip' || scheme === 'sips') return parseSip(text, scheme);
  if (scheme !== undefined) {
    return fail(`${quote(text)} is not a destination: write a US phone number, ext:, pbx:, sip: or sips:`);
  }
  return parsePhone(text);
}

/** How a destination is written in logs and spoken to people: "+1 512 555 1234", "extension 1002", the URI. */
export function formatDestination(d: Destination): string {
  switch (d.kind) {
    case 'phone':
      return `+1 ${d.e164.slice(2, 5)} ${d.e164.slice(5, 8)} ${d.e164.slice(8)}`;
    case 'extension':
      return `extension ${d.extension}`;
    case 'sip':
      return d.uri;
  }
}

/** How a destination is written in plans and read-backs: E.164, ext:NNNN, or the SIP address. */
export function canonicalDestination(d: Destination): string {
  switch (d.kind) {
    case 'phone':
      return d.e164;
    case 'extension':
      return `ext:${d.extension}`;
    case 'sip':
      return d.uri;
  }
}

/** One string per distinct destination, so differently written forms of the same one compare equal. */
export function destinationKey(d: Destination): string {
  return d.kind === 'sip' ? d.uri.toLowerCase() : canonicalDestination(d);
}

export type DestinationFields = PiiData & {
  readonly destinationKind: Destination['kind'];
  /** The destination with its number (or SIP user) masked; a SIP address keeps its host, the service's own. */
  readonly destinationMasked: string;
};

/** A destination for a timeline entry or a log line: its kind and masked form plain, the whole under lk.pii. */
export function destinationFields(destination: Destination): DestinationFields {
  const canonical = canonicalDestination(destination);
  const masked =
    destination.kind === 'sip'
      ? `${canonical.slice(0, canonical.indexOf(':') + 1)}***@${canonical.slice(canonical.indexOf('@') + 1)}`
      : destination.kind === 'phone'
        ? `+1${mask(destination.e164.slice(2))}`
        : `ext:${mask(destination.extension)}`;
  return { destinationKind: destination.kind, destinationMasked: masked, ...pii({ destination: canonical }) };
}

/** Quotes input for an error message: control characters escaped so a message cannot forge log lines. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  // eslint-disable-next-line no-control-regex -- finding control characters is the point: they are escaped
  return `'${shown.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

// NANP: one optional country code 1, a three-digit area code (optionally in parentheses), then 3 + 4
// digits, with at most one space, dot or dash between groups. Other groupings are refused rather than
// guessed at. Toll-free and 900 numbers are valid NANP numbers and are accepted; what may actually be
// dialled is decided by the transfer plan (plan.ts), not here.
const PHONE_SHAPE = /^(?:\+?1[ .-]?)?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]?\d{4}$/;

function parsePhone(text: string): DestinationResult {
  const q = quote(text);
  if (/[a-z]/i.test(text)) return fail(`${q} is not a phone number: it contains letters; write the number as digits`);
  const stray = /[^\d\s().+-]/.exec(text)?.[0];
  if (stray !== undefined) return fail(`${q} is not a phone number: it contains ${quote(stray)}`);
  const digits = text.replace(/\D/g, '');
  if ((text.startsWith('+') && !digits.startsWith('1')) || digits.startsWith('011')) {
    return fail(`${q} is not a US phone number: only +1 numbers can be dialled`);
  }
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : digits;
  if (national.length !== 10) {
    return fail(`${q} has ${digits.length} digits: a US phone number has 10, or 11 starting with 1`);
  }
  if (!PHONE_SHAPE.test(text.replace(/\s+/g, ' '))) {
    return fail(`${q} is not written like a US phone number: write +15125551234 or (512) 555-1234`);
  }
  if (national[0] === '0' || national[0] === '1') {
    return fail(`${q} is not a valid US phone number: the area code cannot start with ${national[0]}`);
  }
  if (national[3] === '0' || national[3] === '1') {
    return fail(`${q} is not a valid US phone number: the exchange (digits 4-6) cannot start with ${national[3]}`);
  }
  return ok({ kind: 'phone', e164: `+1${national}` });
}

function parseExtension(text: string, scheme: 'ext' | 'pbx'): DestinationResult {
  const extension = text.slice(scheme.length + 1).trim();
  if (extension === '') return fail(`'${scheme}:' names no extension: write ${scheme}:1002`);
  if (!/^[0-9*#]+$/.test(extension)) {
    return fail(`${quote(text)} is not a valid extension: only digits, * and # are allowed`);
  }
  if (extension.length > 15) return fail(`${quote(text)} is not a valid extension: at most 15 characters`);
  return ok({ kind: 'extension', extension });
}

const SIP_USER = /^[A-Za-z0-9._~+*-]+$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const IPV6 = /^\[[0-9a-f:.]+\]$/i;
const TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp', 'tls'];

// Only the address and a transport are accepted. Anything else a SIP URI can carry (headers after '?',
// parameters such as maddr, display names in angle brackets) changes where or how the INVITE goes.
function parseSip(text: string, scheme: 'sip' | 'sips'): DestinationResult {
  const bad = (why: string) => fail(`${quote(text)} is not an allowed SIP address: ${why}`);
  if (/\s/.test(text)) return bad('it contains a space or line break');
  if (/[<>]/.test(text)) return bad('angle brackets are not allowed; write the bare sip: address');
  if (/["']/.test(text)) return bad('quotes are not allowed');
  if (text.includes('?')) return bad("SIP headers (after '?') are not allowed");

  const [address = '', ...params] = text.slice(scheme.length + 1).split(';');
  let explicit: SipTransport | undefined;
  for (const param of params) {
    const transport = TRANSPORTS.find((t) => param.toLowerCase() === `transport=${t}`);
    if (transport === undefined || explicit !== undefined) {
      return bad(`parameter ${quote(param)} is not allowed; the only parameter is one transport=udp, tcp or tls`);
    }
    explicit = transport;
  }
  if (scheme === 'sips' && explicit !== undefined && explicit !== 'tls') return bad('sips: addresses always use TLS');

  const at = address.indexOf('@');
  if (at <= 0) return bad('it has no user; write sip:user@host');
  if (address.lastIndexOf('@') !== at) return bad("it has more than one '@'");
  const user = address.slice(0, at);
  if (user.includes(':')) return bad('passwords are not allowed in the address');
  if (!SIP_USER.test(user)) return bad(`the user ${quote(user)} may contain only letters, digits and . _ ~ + * -`);

  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(address.slice(at + 1));
  const host = hostPort?.[1]?.toLowerCase() ?? '';
  const portText = hostPort?.[2];
  if (host === '') return bad('it has no host');
  // A host of digits and dots must be a whole IPv4 address, not a name that happens to be numeric.
  const octetsOk = !/^[\d.]+$/.test(host) || (/^\d{1,3}(\.\d{1,3}){3}$/.test(host) && host.split('.').every((o) => Number(o) <= 255));
  if (!(HOST_NAME.test(host) && octetsOk) && !IPV6.test(host)) {
    return bad(`the host ${quote(host)} is not a valid host name or IP address`);
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (!/^\d{1,5}$/.test(portText ?? '') || port < 1 || port > 65535)) {
    return bad(`the port ${quote(portText ?? '')} is not a number from 1 to 65535`);
  }

  const defaultTransport: SipTransport = scheme === 'sips' ? 'tls' : 'udp';
  const transport = explicit ?? defaultTransport;
  // The canonical URI leaves out a transport that is the scheme's default, so equal addresses compare equal.
  const portPart = port === undefined ? '' : `:${port}`;
  const transportPart = transport === defaultTransport ? '' : `;transport=${transport}`;
  const uri = `${scheme}:${user}@${host}${portPart}${transportPart}`;
  return ok({ kind: 'sip', uri, user, host, ...(port === undefined ? {} : { port }), transport });
}
