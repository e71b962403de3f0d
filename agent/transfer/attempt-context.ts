// What one attempt is given (its collaborators, its request, where a takeover picks it up), and what its parts
// (consultation, briefing script, decision, bridge, rejoin) share with the attempt that runs them. The parts
// report what they see as events; only the machine decides what follows.
import type { Room, RoomEvent } from '@livekit/rtc-node';
import type { TransferOutcome } from '../../core/outcome.ts';
import type { Destination } from '../../settings/destination.ts';
import type { Models } from '../conversation/models.ts';
import type { RoomApi } from '../livekit/room-api.ts';
import type { EarlyRejoin } from '../takeover/early-rejoin.ts';
import type { Authorisation } from './dial/authorise.ts';
import type { TransferLinks } from './links.ts';
import type { CallerHold } from './hold/caller-hold.ts';
import type { RecordPatch } from './record/store.ts';
import type { TransferEvent, TransferPhase } from './state/phase.ts';
import type { TimelineEntry, TransferTimeline } from './timeline.ts';

export interface AttemptDeps {
  /** Joining rooms, dialling, the briefing agent (links.ts). */
  links: TransferLinks;
  api: RoomApi;
  caller: { room: Room; identity: string };
  /** The caller's hold, shared by every destination tried for one request. */
  hold: CallerHold;
  /** The check every dial passes first (authorise.ts, bound to the agent's policy). */
  authorise(destination: Destination | undefined): Promise<Authorisation>;
  /** Speaks to the caller (the caller's agent session). */
  sayToCaller(text: string): void;
  /**
   * The transfer is on its way back to the caller: a taken-over job starts the caller's agent session now, so
   * that it is up by the time the caller is off hold and told why, instead of starting at that moment.
   */
  readyCaller?(): void;
  /**
   * True when, after this outcome, another destination will be tried: the caller then stays on hold and
   * is not told this attempt's outcome (the caller of the next attempt says what happens instead).
   */
  willRetry?: (outcome: TransferOutcome) => boolean;
  models: Models;
  ringingTimeoutMs: number;
  decisionTimeoutMs: number;
  /** Epoch milliseconds by which the whole request (every destination tried) must be bridged or over. */
  deadlineAt: number;
  /** Cap on the bridged call (MAX_BRIDGED_CALL_S). */
  maxBridgedMs: number;
  onTimeline?: (entry: TimelineEntry) => void;
  /**
   * Receives the phase at each transition, for the transfer record; resolves once it is written, within a bound
   * (the hold, the dial and the bridge wait for it: write-ahead).
   */
  onRecord?: (patch: RecordPatch) => Promise<void> | void;
  /** The transfer's one id (its record's): the timeline's transferId. A fresh one without. */
  transferId?: string;
  /** Where timeline JSON lines go (default stdout). */
  sink?: (line: string) => void;
}

/** What one attempt is asked to do. */
export interface AttemptRequest {
  /** Undefined when a taken-over record's destination could not be read back: it is never dialled. */
  destination: Destination | undefined;
  reason: string;
  transcript: string;
  /** Caller ID the destination sees. */
  fromNumber: string | undefined;
  /** False for an ordinary (cold) transfer: connect as soon as the destination answers. */
  brief: boolean;
  /** Facts the briefing states before any summary, known without a model (a screened keypad transfer's). */
  known?: string;
  /** Set when this job takes over a transfer whose job died (takeover): where to pick it up. */
  resume?: ResumeFrom;
}

/** A transfer record's state, as a new job picks it up. */
export interface ResumeFrom {
  phase: TransferPhase;
  consultationRoom: string;
  /** When the previous owner last wrote or renewed the record: the unattended gap is measured from it. */
  renewedAt: number;
  /** How many times the transfer has been taken over, this time included. */
  resumes: number;
  /** The summary the destination was briefed with, if it was. */
  summary?: string;
  /**
   * Caller and destination are in this room, bridged by the server (Cloud move): nothing to rebuild. The caller's
   * room; the consultation room for records of versions that moved the caller rather than the person.
   */
  bridgedIn: string | undefined;
  /** The consultation room joined (and the person apologised to) as soon as the job knew the record. */
  early?: EarlyRejoin;
}

export interface AttemptContext {
  readonly timeline: TransferTimeline;
  /** The phase now: it may have moved on while a part awaited something. */
  phase(): TransferPhase;
  /** Tells the machine what happened. Never awaited: that event's effects queue behind the caller's own (machine.ts). */
  send(event: TransferEvent): void;
  /** Listens on `room` until the attempt finishes, when every listener is removed at once. */
  listen(room: Room, event: RoomEvent, listener: (...args: never[]) => void): void;
}
