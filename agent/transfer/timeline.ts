/**
 * One structured line per thing that happened during a transfer, so a call can be reconstructed afterwards
 * (and asserted on in tests) without reading free-text logs.
 *
 * Personal data — phone numbers, destinations, participant identities, room names, error texts that may quote
 * them — goes only under keys that start with `lk.pii.`, which log pipelines redact or drop by prefix and which
 * never leave the worker (../pii.ts). Build those keys with {@link pii}, `destinationFields`, `sipFailureFields`
 * and `errorFields`; the type of `record`'s data rejects the plain spellings (`destination`, `message`, ...).
 */
import { EventEmitter } from 'node:events';

export { pii, type PiiData, type PiiFields } from '../../core/pii.ts';

export type TimelineEventType =
  | 'started'
  | 'hold_started'
  | 'dialing'
  | 'ringing'
  | 'answered'
  | 'briefing_started'
  | 'question_started'
  | 'barged_in'
  | 'briefing_interrupted'
  | 'prompted'
  | 'reprompted'
  | 'decision'
  | 'unconfirmed_accept'
  | 'bridged'
  | 'handed_over'
  | 'kept'
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

/**
 * Free-form fields for an entry. The entry's own fields cannot be overridden, and plain keys that would carry
 * personal data are refused: a destination, a Refer-To, an error's or SIP failure's text go through the helpers.
 */
export type TimelineData = { readonly [key: string]: unknown } & {
  readonly transferId?: never;
  readonly type?: never;
  readonly at?: never;
  readonly elapsedMs?: never;
  readonly phoneNumber?: never;
  readonly callerNumber?: never;
  readonly identity?: never;
  readonly roomName?: never;
  readonly destination?: never;
  readonly referTo?: never;
  readonly message?: never;
  readonly error?: never;
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
