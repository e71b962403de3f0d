// Joining a room as the worker: an agent participant that may publish and subscribe (the consultation room,
// and a takeover's way back into it).
import { AccessToken } from 'livekit-server-sdk';
import { Room } from '@livekit/rtc-node';
import { bounded, DISCONNECT_TIMEOUT_MS, JOIN_TIMEOUT_MS, settleWithin } from '../../core/bounded.ts';
import type { LiveKitCredentials } from './room-api.ts';

export const WORKER_IDENTITY = 'warm-transfer-agent';

/** Joins `roomName` as the worker (an agent participant that may publish and subscribe). */
export async function joinAsWorker(credentials: LiveKitCredentials, roomName: string): Promise<Room> {
  const token = new AccessToken(credentials.apiKey, credentials.apiSecret, { identity: WORKER_IDENTITY, name: 'Warm transfer agent', ttl: '1h' });
  token.kind = 'agent';
  token.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: true, canPublishData: true });
  const room = new Room();
  const jwt = await token.toJwt();
  await bounded(room.connect(credentials.url, jwt, { autoSubscribe: true, dynacast: false }), JOIN_TIMEOUT_MS, `joining ${roomName}`, () =>
    settleWithin(room.disconnect(), DISCONNECT_TIMEOUT_MS),
  );
  return room;
}
