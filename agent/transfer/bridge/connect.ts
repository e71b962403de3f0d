// The bridge effect: the person accepted, so caller and person are connected, by whichever topology holds the
// caller (relay.ts between two rooms on a self-hosted server, the person moved into the caller's room on Cloud).
// A failure here reaches the machine as bridge_failed (machine.ts), which brings the caller back; a person who
// hung up while being moved is a destination who left.
import type { Room } from '@livekit/rtc-node';
import type { AttemptContext } from '../attempt-context.ts';
import type { BriefingSession } from '../briefing/session.ts';
import type { CallerHold } from '../hold/caller-hold.ts';
import { DestinationGone } from '../hold/move-topology.ts';

export async function connectCallerAndPerson(options: {
  context: AttemptContext;
  hold: CallerHold;
  consultation: Room;
  personIdentity: string;
  briefing: Promise<BriefingSession> | undefined;
}): Promise<void> {
  const { context, hold } = options;
  // The briefing agent falls silent at once; closing its session can take a while, so it runs
  // alongside the connection rather than before it.
  const briefing = await options.briefing;
  briefing?.interrupt();
  const closing = Promise.resolve(briefing?.close()).catch(() => undefined);
  try {
    try {
      await hold.connect(options.consultation, options.personIdentity);
    } catch (error) {
      if (!(error instanceof DestinationGone)) throw error;
      context.timeline.record('participant_left', { side: 'destination', whileMoving: true });
      context.send({ type: 'destination_left' });
      return;
    }
    // Caller and destination hear each other from here, whatever the briefing session still tidies up:
    // the transfer is bridged now, so a hang-up while it closes ends an accepted call.
    // What carries the call from here: the worker's relay, or the server itself; a keeper may take it over (kept).
    const topology = hold.topology!.kind;
    context.timeline.record('bridged', { topology, carrier: topology === 'move' ? 'server' : 'relay' });
    context.send({ type: 'bridge_ready' });
  } finally {
    await closing;
  }
}
