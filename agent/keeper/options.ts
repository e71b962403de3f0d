// What a keeper (keeper.ts) is given: the record store, RoomService, the forwarder and its tokens, and where
// the timeline of kept calls goes.
import type { RoomApi } from '../livekit/room-api.ts';
import type { TransferRecord, TransferRecordStore } from '../transfer/record/store.ts';
import type { TimelineEntry } from '../transfer/timeline.ts';
import type { TransferTimeline } from '../transfer/timeline.ts';
import type { Forwarder } from './forwarder-link.ts';
import type { Carrier } from './on-the-line.ts';

export interface KeeperOptions {
  store: TransferRecordStore;
  workerKey: string;
  api: Required<Pick<RoomApi, 'deleteRoom' | 'removeParticipant' | 'participantIdentities'>> & Pick<RoomApi, 'participantCounts'>;
  /** Whether a job process of this worker still runs (processAlive); none is taken to run unless given. */
  jobAlive?(pid: number): boolean;
  /** The LiveKit URL the forwarder joins. */
  url: string;
  /** A token for the forwarder to join `room` as `identity`. */
  token(room: string, identity: string): Promise<string>;
  /** Starts a forwarder; without one, calls relayed between two rooms stay with their jobs. */
  startForwarder?: () => Forwarder;
  /** MAX_BRIDGED_CALL_S, counted from the record's bridgedAt. */
  maxBridgedMs: number;
  /** Each timeline entry of a kept call, with the record it is about (the organization's stream, the logs). */
  onTimeline?: (record: TransferRecord, entry: TimelineEntry) => void;
  log?(entry: Record<string, unknown>): void;
  now?(): number;
}

export const KEEPER = 'keeper:'; // a keeper owns its records as `keeper:<workerKey>`
/** A bridged call the forwarder failed this many times is relayed by a job instead. */
export const KEEPER_TRIES = 2;
/** Bridging again after the forwarder lost a bridge (or exited): this many tries, this far apart. */
export const REBRIDGE_TRIES = 3;
export const REBRIDGE_DELAY_MS = 300;
/**
 * A keeper that sees another keeper take its call over goes on carrying it this long before its forwarder leaves:
 * the new forwarder is ready once it has joined and published, but the phones' SIP participants subscribe to its
 * tracks only after that (about a second on a busy machine), and leaving at once left them that long in silence.
 */
export const HANDOVER_OVERLAP_MS = 1500;
/** A job's ask the keeper could not carry out is looked at again after this long. */
export const ASK_RETRY_MS = 30_000;

/** A call a keeper carries now. */
export interface Kept {
  record: TransferRecord;
  fence: number;
  carrier: Carrier;
  timeline: TransferTimeline;
  timers: NodeJS.Timeout[];
  ending: boolean;
}
