// How a kept call ends (keeper.ts): whoever is left is hung up (both rooms deleted, or only the two people while
// the job that asked still runs), the record is closed handed_off, and the timeline says why.
import { errorFields } from '../../core/pii.ts';
import { quietly } from '../livekit/room-api.ts';
import { DESTINATION_IDENTITY } from '../transfer/consultation.ts';
import { FencedError } from '../transfer/record/store.ts';
import type { Forwarding } from './forwarding.ts';
import type { EndedBy } from './on-the-line.ts';
import type { KeeperOptions, Kept } from './options.ts';

export async function endKept(
  kept: Kept,
  endedBy: EndedBy,
  options: KeeperOptions,
  forwarding: Forwarding | undefined,
  log: (entry: Record<string, unknown>) => void,
): Promise<void> {
  const { record } = kept;
  if (endedBy === 'max_duration') kept.timeline.record('max_duration', { maxBridgedMs: options.maxBridgedMs });
  const { api } = options;
  // The job that asked may still run (it stands down within a few hundred ms) and be ending the call too: two
  // DeleteRooms of one room at once make livekit-server create it again, empty. Then only the people are hung up.
  const job = /\/(\d+)$/.exec(record.owner);
  const jobRuns = job !== null && (options.jobAlive?.(Number(job[1])) ?? false);
  const personRoom = kept.carrier === 'server' ? record.callerRoom : record.consultationRoom!;
  // The forwarder leaving its rooms (slow on a busy machine) holds up neither the hang-up nor the record.
  if (kept.carrier === 'forwarder') void forwarding?.stop(record.id);
  await Promise.all(
    jobRuns
      ? [quietly(api.removeParticipant(record.callerRoom, record.callerIdentity)), quietly(api.removeParticipant(personRoom, DESTINATION_IDENTITY))]
      : [quietly(api.deleteRoom(record.callerRoom)), quietly(api.deleteRoom(record.consultationRoom!))],
  );
  // Whatever is left of the rooms goes once that job has gone, rather than idling on the server for its
  // departure timeout (20 s by default) with whatever is still in them.
  if (jobRuns) void deleteOnceGone(Number(job![1]), [record.callerRoom, record.consultationRoom!], options);
  const closed = await options.store.handOff(record.id, kept.fence, record.callerRoom).then(
    () => true,
    (error: unknown) => {
      // Redis away: the lease runs out and a watcher finds the call gone (it ends what is left).
      log({ event: 'keeper_close_failed', transfer: record.id, ...errorFields(error) });
      return !(error instanceof FencedError);
    },
  );
  // Fenced: someone else had it by then, and its end is theirs to record.
  if (closed) kept.timeline.record('ended', { outcome: 'accepted', endedBy, carrier: kept.carrier });
}

/** How long a kept call's end waits for the job that asked to go before it deletes the rooms itself. */
export const JOB_GONE_WAIT_MS = 5000;
const JOB_GONE_POLL_MS = 100;

/** Once the job `pid` has exited (or after JOB_GONE_WAIT_MS), deletes each of `rooms` that still exists. */
async function deleteOnceGone(pid: number, rooms: string[], options: KeeperOptions): Promise<void> {
  const until = Date.now() + JOB_GONE_WAIT_MS;
  while ((options.jobAlive?.(pid) ?? false) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, JOB_GONE_POLL_MS));
  const { api } = options;
  await Promise.all(
    rooms.map(async (room) => {
      const left = await api.participantIdentities(room).catch(() => 'no_room' as const);
      if (left !== 'no_room') await quietly(api.deleteRoom(room));
    }),
  );
}
