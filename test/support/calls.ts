// Finding what a SIP call became on the server: its room and the participants in it.
import { type ParticipantInfo, RoomServiceClient } from 'livekit-server-sdk';
import type { StackInfo } from '../../stack/stack-info.ts';
import { eventually } from './rooms.ts';

export { AGENT_NUMBER } from '../../stack/stack-info.ts';
/** ParticipantInfo.Kind.AGENT in LiveKit's protocol. */
export const AGENT_KIND = 4;

export function roomService(stack: StackInfo): RoomServiceClient {
  return new RoomServiceClient(stack.livekitUrl.replace(/^ws/, 'http'), stack.apiKey, stack.apiSecret);
}

/** The room whose SIP participant called from `fromNumber`, with its participants. */
export async function findCallRoom(stack: StackInfo, fromNumber: string, ms = 15_000): Promise<{ room: string; participants: ParticipantInfo[] }> {
  const rooms = roomService(stack);
  let found: { room: string; participants: ParticipantInfo[] } | undefined;
  await eventually(
    async () => {
      for (const room of await rooms.listRooms()) {
        const participants = await rooms.listParticipants(room.name);
        if (participants.some((p) => p.attributes['sip.phoneNumber'] === fromNumber)) {
          found = { room: room.name, participants };
          return true;
        }
      }
      return false;
    },
    ms,
    `a room with the call from ${fromNumber}`,
  );
  return found!;
}

/** A fresh caller number per test, so rooms of earlier tests are never mistaken for this one's. */
let serial = 0;
export function callerNumber(): string {
  serial += 1;
  return `+1555${String(Date.now() % 10_000_000)
    .padStart(7, '0')
    .slice(0, 5)}${String(serial).padStart(2, '0')}`;
}
