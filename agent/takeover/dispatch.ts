// Takeover, the worker's side: its watcher (watcher.ts) over the transfer records, wired to LiveKit. A
// claimed record is carried on by a new job dispatched into the caller's room (resume.ts); a call that is
// gone, or a transfer every job failed, is ended here.
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import type { Redis } from 'ioredis';
import { bounded, ROOM_API_TIMEOUT_MS } from '../../core/bounded.ts';
import type { WorkerConfig } from '../config.ts';
import { httpUrl, quietly, roomServiceApi } from '../livekit/room-api.ts';
import { connectedSince } from '../redis.ts';
import { TransferRecordStore } from '../transfer/record/store.ts';
import { TakeoverWatcher } from './watcher.ts';
import type { BridgeKeeper } from '../keeper/keeper.ts';
import type { WorkerMetrics } from '../metrics/registry.ts';

/** Dispatches a job of this worker's agent into a room (AgentDispatchService): the server picks a worker that is not full. */
export function jobDispatcher(config: WorkerConfig): (room: string, metadata: string) => Promise<void> {
  const { url, apiKey, apiSecret } = config.livekit;
  const dispatches = new AgentDispatchClient(httpUrl(url), apiKey, apiSecret);
  return async (room, metadata) => {
    await bounded(dispatches.createDispatch(room, config.agentName, { metadata }), ROOM_API_TIMEOUT_MS, 'dispatching a job');
  };
}

export function startTakeoverWatcher(config: WorkerConfig, redis: Redis, workerKey: string, keeper?: BridgeKeeper, metrics?: WorkerMetrics): TakeoverWatcher {
  const { url, apiKey, apiSecret } = config.livekit;
  const dispatch = jobDispatcher(config);
  const rooms = roomServiceApi(config.livekit);
  const roomClient = new RoomServiceClient(httpUrl(url), apiKey, apiSecret);
  const records = new TransferRecordStore({ redis });
  const watcher = new TakeoverWatcher({
    store: records,
    workerKey,
    // A lease that ran out while Redis was away (a restart) is no sign of a dead owner.
    connectedSince: connectedSince(redis),
    ...(keeper ? { keeper } : {}),
    ...(metrics ? { onClaim: (mode, reason) => metrics.takeover(mode, reason) } : {}),
    dispatch: (record, order) => dispatch(record.callerRoom, JSON.stringify({ ...(record.agentId ? { agentId: record.agentId } : {}), resume: order })),
    callGone: async (record) => {
      const found = await bounded(roomClient.listRooms([record.callerRoom]), ROOM_API_TIMEOUT_MS, 'looking up the call');
      return found.length === 0;
    },
    abandon: async (record, fence, outcome) => {
      // The call is gone, or every job sent to this transfer failed: end what is left rather than leave anyone
      // on an unattended line.
      await Promise.all([record.consultationRoom, record.holdRoom, record.callerRoom].map((room) => room && quietly(rooms.deleteRoom(room))));
      await records.remove(record.id, fence, record.callerRoom).catch(() => undefined);
      console.log(JSON.stringify({ transferId: record.id, type: 'ended', at: new Date().toISOString(), outcome, resumes: record.resumes }));
      metrics?.transferEnded(record.agentId, outcome);
    },
  });
  watcher.start();
  return watcher;
}
