// Personal data in what the worker and the service write: logs, transfer timelines, the agents' Redis streams
// and webhooks. Phone numbers (dialled or calling), SIP addresses and users, participant identities and room
// names (a call's room is `<prefix>_<caller number>_<random>`), and error texts that may quote any of them go
// only under keys that start with `lk.pii.`, as LiveKit's own loggers do: a log pipeline redacts or drops them
// by prefix, and nothing that leaves the worker carries them (withoutPii, applied by every exporting sink).
// Beside them, plain fields keep what an operator needs and is not personal: the destination's kind, a
// masked destination (destinationFields, beside the destination's parser in settings/destination.ts), the SIP
// status code with its standard reason phrase, the error's type.

const PII_PREFIX = 'lk.pii.';

export const isPiiKey = (key: string): boolean => key.startsWith(PII_PREFIX);

/**
 * `value` without any `lk.pii.*` key, at any depth. The one scrubber of every sink that exports entries (the
 * stream writer, the webhook sender, the API's reads), so they cannot drift apart.
 */
export function withoutPii<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => withoutPii(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Date, a Buffer: nothing keyed inside
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !isPiiKey(key))
      .map(([key, v]) => [key, withoutPii(v)]),
  ) as T;
}

export interface PiiFields {
  /** A phone number: the caller ID shown to a destination, a caller's number. */
  phoneNumber?: string | undefined;
  identity?: string | undefined;
  roomName?: string | undefined;
  /** Where a transfer goes, canonical (E.164, ext:NNNN, the SIP address). */
  destination?: string | undefined;
  /** The Refer-To URI of a SIP REFER. */
  referTo?: string | undefined;
  /** An error's text: SIP and server errors quote numbers, addresses and rooms. */
  error?: string | undefined;
}

// A type alias, not an interface, so it can be passed straight to a timeline (aliases get an implicit index signature).
export type PiiData = {
  readonly 'lk.pii.phone_number'?: string;
  readonly 'lk.pii.participant_identity'?: string;
  readonly 'lk.pii.room_name'?: string;
  readonly 'lk.pii.destination'?: string;
  readonly 'lk.pii.refer_to'?: string;
  readonly 'lk.pii.error'?: string;
};

const PII_KEYS = {
  phoneNumber: 'lk.pii.phone_number',
  identity: 'lk.pii.participant_identity',
  roomName: 'lk.pii.room_name',
  destination: 'lk.pii.destination',
  referTo: 'lk.pii.refer_to',
  error: 'lk.pii.error',
} as const satisfies Record<keyof PiiFields, keyof PiiData>;

/**
 * Wraps personal data in `lk.pii.*` keys for a timeline entry or a structured log line:
 * `timeline.record('dialing', { ...pii({ phoneNumber }), sipStatus })`. Absent fields are left out.
 */
export function pii(fields: PiiFields): PiiData {
  const out: { -readonly [K in keyof PiiData]: PiiData[K] } = {};
  for (const [field, key] of Object.entries(PII_KEYS) as Array<[keyof PiiFields, keyof PiiData]>) {
    const value = fields[field];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * `text` with all but its last characters replaced by `*`: the last two of a phone number ("+1********34"), fewer
 * of a short extension ("ext:***2"), never more than a third. Enough to tell apart the few destinations an
 * agent's rules name, too little to call anyone.
 */
export function mask(text: string): string {
  // An extension of stars alone ("*", "**") would read the same masked: say so instead.
  if (/^\*+$/.test(text)) return '(masked)';
  const keep = Math.min(2, Math.floor(text.length / 3));
  return '*'.repeat(text.length - keep) + text.slice(text.length - keep);
}

/** RFC 3261's reason phrases for the statuses a dial or a REFER meets: a fixed text that quotes nobody. */
const SIP_REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  484: 'Address Incomplete',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
};

export function sipReason(status: number): string {
  return SIP_REASONS[status] ?? `SIP ${Math.floor(status / 100)}xx`;
}

/** A failed dial or REFER: the status and its standard reason plain, the server's own text only under lk.pii. */
export function sipFailureFields(failure: {
  sipStatus?: number | undefined;
  message: string;
}): PiiData & { readonly sipStatus: number | null; readonly sipReason?: string } {
  const { sipStatus } = failure;
  return { sipStatus: sipStatus ?? null, ...(sipStatus === undefined ? {} : { sipReason: sipReason(sipStatus) }), ...pii({ error: failure.message }) };
}

/**
 * An error for a timeline entry or a log line: its type plain, its text under lk.pii (the stack too, for a
 * log, where a bug needs it; the stack's first line repeats the text).
 */
export function errorFields(error: unknown, { stack = false } = {}): PiiData & { readonly errorType: string } {
  const errorType = error instanceof Error ? error.name : typeof error;
  const text = error instanceof Error ? (stack && error.stack ? error.stack : error.message) : String(error);
  return { errorType, ...pii({ error: text }) };
}
