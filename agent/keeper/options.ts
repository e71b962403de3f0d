// What a keeper (keeper.ts) is given: the record store, RoomService, the forwarder and its tokens, and where
// the timeline of kept calls goes.
import type { RoomApi } from '../livekit/room-api.ts';
import type { TransferRecord, TransferRecordStore } from '../transfer/record/store.ts';
import type { TimelineEntry } from '../transfer/timeline.ts';
import type { Forwarder } from './forwarder-link.ts';

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
