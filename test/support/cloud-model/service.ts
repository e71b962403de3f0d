// RoomService as a job reaches it on the model: each call refused for a dead process, failed by a fault the test
// scripted, or checked against the rooms as Cloud checks it and applied.
import { DisconnectReason } from '@livekit/rtc-node';
import { ServerError } from 'livekit-server-sdk';
import type { RoomApi } from '../../../agent/livekit/room-api.ts';
import type { RoomApiMethod } from '../fakes/room-api.ts';
import { notFound, notImplemented, processDead, refused } from './errors.ts';
import type { CloudRoom, CloudRooms, Member } from './rooms.ts';

interface Fault {
  error: Error;
  /** The server carried the call out and its client still got the error (a 5xx or a timeout after the fact). */
  applied: boolean;
}

/** Server-side faults: they hit whichever job makes the next call. */
export class Faults {
  readonly #next = new Map<RoomApiMethod, Fault[]>();
  /** The open-source server: every move answers "not implemented". */
  movesNotImplemented = false;

  add(method: RoomApiMethod, fault: Fault): void {
    this.#next.set(method, [...(this.#next.get(method) ?? []), fault]);
  }

  take(method: RoomApiMethod): Fault | undefined {
    return this.#next.get(method)?.shift();
  }

  /**
   * Something that happens in the world just as the next call of a method reaches the server (`before`: a
   * hang-up), or once the server has carried it out and before its answer is back (`after`: a job killed).
   */
  readonly #happenings = { before: new Map<RoomApiMethod, (() => void)[]>(), after: new Map<RoomApiMethod, (() => void)[]>() };

  addHappening(when: 'before' | 'after', method: RoomApiMethod, happening: () => void): void {
    const queue = this.#happenings[when];
    queue.set(method, [...(queue.get(method) ?? []), happening]);
  }

  takeHappening(when: 'before' | 'after', method: RoomApiMethod): (() => void) | undefined {
    return this.#happenings[when].get(method)?.shift();
  }
}

const describe = (error: unknown): string => (error instanceof ServerError ? `${error.status} ${error.message}` : String(error));

export function modelRoomApi(rooms: CloudRooms, faults: Faults, job: string): RoomApi {
  const room = (name: string): CloudRoom => rooms.get(name) ?? fail(notFound(`room not found: ${name}`));
  const participant = (name: string, identity: string): Member => room(name).members.get(identity) ?? fail(notFound(`participant not found: ${identity}`));
  const call = async <T>(method: RoomApiMethod, args: string[], apply: () => T): Promise<T> => {
    const fault = rooms.dead.has(job) ? undefined : faults.take(method);
    if (!rooms.dead.has(job)) faults.takeHappening('before', method)?.();
    let applied = false;
    try {
      if (rooms.dead.has(job)) throw processDead(job);
      if (fault && !fault.applied) throw fault.error;
      const result = apply();
      applied = true;
      faults.takeHappening('after', method)?.();
      if (rooms.dead.has(job)) throw processDead(job);
      if (fault) throw fault.error;
      return result;
    } catch (error) {
      rooms.log.push(`${method} ${args.join(' ')} (${job})${applied ? ' applied, but answered' : ':'} ${describe(error)}`);
      throw error;
    }
  };
  return {
    createRoom: (name, { emptyTimeoutS, maxParticipants }) =>
      // Creating a room that exists changes nothing. The empty timeout asked for is logged; the model's own applies.
      call('createRoom', [name], () => void (rooms.get(name) ?? rooms.open(name, `by ${job}, empty timeout ${emptyTimeoutS} s, max ${maxParticipants}`))),
    deleteRoom: (name) => call('deleteRoom', [name], () => rooms.close(room(name), `deleted by ${job}`)),
    removeParticipant: (name, identity) =>
      call('removeParticipant', [name, identity], () =>
        rooms.leave(room(name), participant(name, identity), `removed by ${job}`, DisconnectReason.PARTICIPANT_REMOVED),
      ),
    moveParticipant: (name, identity, to) =>
      call('moveParticipant', [name, identity, to], () => {
        if (faults.movesNotImplemented) throw notImplemented();
        const member = participant(name, identity);
        // Assumed: Cloud moves only non-agent participants (an agent belongs to its job's room) and refuses the rest.
        if (member.kind === 'agent') throw refused(`cannot move agent participant ${identity}`);
        // Cloud's answer for a destination that does not exist (or has closed) is not documented; the model takes
        // the strict reading: 404, and nobody moves (rather than the room being created).
        rooms.move(room(name), member, room(to));
      }),
    // The product's real call maps the server's 404 to 'no_room'; the model answers with that mapping's result.
    participantIdentities: (name) =>
      call('participantIdentities', [name], (): string[] | 'no_room' => {
        const found = rooms.get(name);
        return found ? [...found.members.keys()] : 'no_room';
      }),
    // ListRooms with names: the rooms that exist, each with its participant count.
    participantCounts: (names) =>
      call('participantCounts', names, () => {
        const counts = new Map<string, number>();
        for (const name of names) {
          const found = rooms.get(name);
          if (found) counts.set(name, found.members.size);
        }
        return counts;
      }),
  };
}

function fail(error: Error): never {
  throw error;
}
