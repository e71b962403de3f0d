// How a transfer reaches LiveKit beyond RoomService (livekit/room-api.ts): joining a room as the worker,
// dialling a person into a room, and starting the briefing agent in one. The real ones unless a call is given
// others (the unit tests' model of LiveKit Cloud, which no open-source server can stand in for).
import type { Room } from '@livekit/rtc-node';
import type { LiveKitCredentials } from '../livekit/room-api.ts';
import { startBriefingSession } from './briefing/session.ts';
import { joinAsWorker } from '../livekit/join.ts';
import { dial, type DialRequest, type DialResult } from './dial/dial.ts';

export interface TransferLinks {
  join(roomName: string): Promise<Room>;
  dial(request: DialRequest, signal: AbortSignal): Promise<DialResult>;
  startBriefing: typeof startBriefingSession;
}

export function liveKitLinks(credentials: LiveKitCredentials): TransferLinks {
  return {
    join: (roomName) => joinAsWorker(credentials, roomName),
    dial: (request, signal) => dial(credentials, request, signal),
    startBriefing: startBriefingSession,
  };
}
