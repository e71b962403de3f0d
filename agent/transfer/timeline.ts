/**
 * One structured line per thing that happened during a transfer, so a call can be reconstructed afterwards
 * (and asserted on in tests) without reading free-text logs.
 *
 * Personal data — phone numbers, participant identities, room names — goes only under keys that start with
 * `lk.pii.`, which log pipelines redact or drop by prefix. Build those keys with {@link pii}; the type of
 * `record`'s data also rejects the obvious plain spellings (`phoneNumber`, `identity`, `roomName`).
 */
import { EventEmitter } from 'node:events';

export type TimelineEventType =
  | 'started'
  | 'hold_started'
  | 'dialing'
  | 'ringing'
  | 'answered'
  | 'briefing_started'
  | 'prompted'
  | 'reprompted'
  | 'decision'
  | 'unconfirmed_accept'
  | 'bridged'
  | 'max_duration'
  | 'returned'
  | 'participant_left'
  | 'referring'
  | 'referred'
  | 'refer_failed'
  | 'ignored'
  | 'resumed'
  | 'redialing'
  | 'refused'
  | 'ended'
  | 'error';

/** Free-form fields for an entry. The entry's own fields cannot be overridden, and plain PII keys are refused. */
export type TimelineData = { readonly [key: string]: unknown } & {
  readonly transferId?: never;
  readonly type?: never;
  readonly at?: never;
  readonly elapsedMs?: never;
  readonly phoneNumber?: never;
  readonly identity?: never;
  readonly roomName?: never;
};

export interface TimelineEntry {
  readonly transferId: string;
  readonly type: TimelineEventType;
  /** Wall-clock time, ISO 8601. */
  readonly at: string;
  /** Milliseconds since the `started` entry (or since the timeline was created, before that). */
  readonly elapsedMs: number;
  readonly [key: string]: unknown;
}

export interface TransferTimelineOptions {
  transferId: string;
  /** Where each entry goes as one JSON line (no newline); defaults to a line on stdout. */
  sink?: (line: string) => void;
  /** Clock in epoch milliseconds; tests pass their own. */
  now?: () => number;
}

export class TransferTimeline extends EventEmitter<{ event: [entry: TimelineEntry] }> {
  readonly transferId: string;
  readonly #sink: (line: string) => void;
  readonly #now: () => number;
  #startedAtMs: number;
  readonly #entries: TimelineEntry[] = [];

  constructor(opts: TransferTimelineOptions) {
    super();
    this.transferId = opts.transferId;
    this.#sink = opts.sink ?? ((line) => process.stdout.write(`${line}\n`));
    this.#now = opts.now ?? Date.now;
    this.#startedAtMs = this.#now();
  }

  /** Entries recorded so far, oldest first. */
  get entries(): readonly TimelineEntry[] {
    return this.#entries;
  }

  record(type: TimelineEventType, data: TimelineData = {}): TimelineEntry {
    const nowMs = this.#now();
    if (type === 'started') this.#startedAtMs = nowMs;
    const entry: TimelineEntry = {
      transferId: this.transferId,
      type,
      at: new Date(nowMs).toISOString(),
      elapsedMs: nowMs - this.#startedAtMs,
      ...data,
    };
    this.#entries.push(entry);
    this.#sink(JSON.stringify(entry));
    this.emit('event', entry);
    return entry;
  }
}

export interface PiiFields {
  phoneNumber?: string;
  identity?: string;
  roomName?: string;
}

// A type alias, not an interface, so it can be passed straight to `record` (aliases get an implicit index signature).
export type PiiData = {
  readonly 'lk.pii.phone_number'?: string;
  readonly 'lk.pii.participant_identity'?: string;
  readonly 'lk.pii.room_name'?: string;
};

/**
 * Wraps personal data in `lk.pii.*` keys for {@link TransferTimeline.record} (and any structured log):
 * `timeline.record('dialing', { ...pii({ phoneNumber }), sipStatus })`. Absent fields are left out.
 */
export function pii(fields: PiiFields): PiiData {
  const out: { -readonly [K in keyof PiiData]: PiiData[K] } = {};
  if (fields.phoneNumber !== undefined) out['lk.pii.phone_number'] = fields.phoneNumber;
  if (fields.identity !== undefined) out['lk.pii.participant_identity'] = fields.identity;
  if (fields.roomName !== undefined) out['lk.pii.room_name'] = fields.roomName;
  return out;
}
