// A caller who hangs up ends the job at once, so the worker's place for the call is free again (admission.ts)
// rather than when the server closes the empty room, about 20 s later. A running transfer deals with the
// hang-up itself (it tells the person, or ends the bridged call) and the job ends once it is over; a caller
// only moved out of the room by one (Cloud) is back here, or bridged elsewhere, when it ends.
import { type RemoteParticipant, type Room, RoomEvent } from '@livekit/rtc-node';

/** How often a hang-up during a transfer looks whether the transfer is over. */
const TRANSFER_POLL_MS = 250;

export function endWhenCallerHangsUp(room: Room, callerIdentity: string, transferring: () => boolean, end: () => void): void {
  room.on(RoomEvent.ParticipantDisconnected, (participant: RemoteParticipant) => {
    if (participant.identity !== callerIdentity) return;
    void (async () => {
      while (transferring()) await new Promise((resolve) => setTimeout(resolve, TRANSFER_POLL_MS));
      if (!room.remoteParticipants.has(callerIdentity)) end();
    })();
  });
}
