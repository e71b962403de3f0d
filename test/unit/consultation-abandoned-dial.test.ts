// A transfer that ends while its dial is on the way (the caller hangs up as the destination is dialled): the
// consultation room may be made again after close() deleted it, by the worker's own late join or by livekit-sip
// putting the person in it when they answer. Nobody must be dialled after the end, and a person reached anyway
// must not be left in a room where nobody will ever speak to them. The phone-level race is too narrow to hit on
// demand (test/integration/transfer-hangups.test.ts tries it); these drive each side of it with fakes.
import { describe, expect, it } from 'vitest';
import type { AttemptContext } from '../../agent/transfer/attempt-context.ts';
import { Consultation, DESTINATION_IDENTITY } from '../../agent/transfer/consultation.ts';
import type { AuthorisedDial } from '../../agent/transfer/dial/authorise.ts';
import type { CallerHold } from '../../agent/transfer/hold/caller-hold.ts';
import type { TransferLinks } from '../../agent/transfer/links.ts';
import { parseDestination } from '../../settings/destination.ts';
import { recordingRoomApi, type LoggedCall } from '../support/fakes/room-api.ts';
import { fakeRoom } from '../support/fakes/room.ts';

const ROOM = 'wt-consultation';
const parsed = parseDestination('+15125551234');
if (!parsed.ok) throw new Error(parsed.error);
const authorised = { destination: parsed.destination, target: { via: 'trunk', trunkId: 'ST_pstn', number: '+15125551234' } } as unknown as AuthorisedDial;

interface Made {
  consultation: Consultation;
  calls: LoggedCall[];
  /** Where the transfer is: the tests move it on as the machine would, before aborting the dial. */
  phase: { kind: string };
}

function consultation(links: Pick<TransferLinks, 'join' | 'dial'>, ringingTimeoutMs = 3000): Made {
  const { api, calls } = recordingRoomApi();
  const phase = { kind: 'dialing' };
  const context = {
    timeline: { record: (type: string) => void calls.push(['timeline', type]) },
    send: (event: { type: string }) => void calls.push(['send', event.type]),
    listen: () => undefined,
    phase: () => phase,
  } as unknown as AttemptContext;
  const made = new Consultation({
    context,
    links: { ...links, startBriefing: () => Promise.reject(new Error('no briefing here')) },
    api,
    name: ROOM,
    caller: { identity: 'sip_caller' },
    hold: { prepare: () => undefined, personRoomName: undefined } as unknown as CallerHold,
    destination: parsed.ok ? parsed.destination : undefined,
    authorise: async () => ({ ok: true, dial: authorised }),
    fromNumber: '+15550100',
    ringingTimeoutMs,
    resumed: false,
    onJoined: () => void calls.push(['joined']),
  });
  return { consultation: made, calls, phase };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A SIP leg in flight: whether the person answers in the end, settled by the test. */
function inFlight(): { answered: Promise<boolean>; answer: (answered: boolean) => void } {
  let answer!: (answered: boolean) => void;
  const answered = new Promise<boolean>((r) => (answer = r));
  return { answered, answer };
}

/** As dial.ts does once the INVITE is out: given up, it tells of the leg still in flight, then throws. */
const dialInFlight =
  (leg: Promise<boolean>): TransferLinks['dial'] =>
  (request, signal) =>
    new Promise((_, reject) =>
      signal.addEventListener('abort', () => {
        request.abandoned?.(leg);
        reject(signal.reason);
      }),
    );

/** Starts the dial, then moves the transfer to `kind` and aborts it, as the machine would; the dial's error. */
async function giveUp({ consultation: c, phase }: Made, kind: string): Promise<Error | undefined> {
  const controller = new AbortController();
  const dialling = c.dial(controller.signal);
  await sleep(10);
  phase.kind = kind;
  controller.abort(new Error(`transfer left dialing for ${kind}`));
  return dialling.then(
    () => undefined,
    (error: Error) => error,
  );
}

describe('a dial the transfer gives up on the way', () => {
  it('dials nobody when the transfer ended while the room was joined, and deletes the room the late join made again', async () => {
    const controller = new AbortController();
    let dialled = 0;
    const {
      consultation: c,
      calls,
      phase,
    } = consultation({
      join: async (name) => {
        // The caller hangs up meanwhile: the transfer ends and close() deletes the room before this join lands.
        phase.kind = 'ended';
        controller.abort(new Error('transfer left dialing for ended'));
        await c.close();
        return fakeRoom(name, { onEffect: (effect) => void calls.push([effect.kind, effect.room]) });
      },
      dial: async () => {
        dialled++;
        return { ok: true };
      },
    });
    await c.dial(controller.signal);
    expect(dialled).toBe(0);
    expect(calls.map((call) => call.join(' '))).toEqual([`createRoom ${ROOM}`, `deleteRoom ${ROOM}`, `disconnect ${ROOM}`, `deleteRoom ${ROOM}`]);
    expect(c.room).toBeUndefined();
  });

  it('removes a person answered after the end from the room, which it deletes again; a leg still ringing is cancelled the same way', async () => {
    const leg = inFlight();
    const made = consultation({ join: async (name) => fakeRoom(name), dial: dialInFlight(leg.answered) });
    expect((await giveUp(made, 'ended'))?.message).toMatch(/left dialing/);
    const { consultation: c, calls } = made;
    await c.close();
    calls.length = 0;
    // While the person's phone rings, their leg is looked for about once a second (and removed: a cancel).
    await sleep(1200);
    expect(calls.map((call) => call.join(' '))).toEqual([`removeParticipant ${ROOM} ${DESTINATION_IDENTITY}`]);
    // They answer into the room made again: removed at once, and the room deleted.
    leg.answer(true);
    await sleep(50);
    expect(calls.map((call) => call.join(' ')).slice(1)).toEqual([`removeParticipant ${ROOM} ${DESTINATION_IDENTITY}`, `deleteRoom ${ROOM}`]);
  });

  it('stops looking once the ringing time is over, even if the dial never settles', async () => {
    const made = consultation({ join: async (name) => fakeRoom(name), dial: dialInFlight(new Promise(() => undefined)) }, 0);
    await giveUp(made, 'ended');
    const { calls } = made;
    calls.length = 0;
    // Ringing time 0 plus the 5 s of grace: five or six looks, then the room deleted, then nothing more.
    await sleep(7500);
    const seen = calls.map((call) => call[0]);
    expect(seen.filter((m) => m === 'removeParticipant').length).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)).toBe('deleteRoom');
    const count = calls.length;
    await sleep(1500);
    expect(calls.length).toBe(count);
  }, 15_000);

  it('leaves alone a leg whose answer moved the transfer on to the briefing (a taken-over leg dialled again)', async () => {
    const leg = inFlight();
    const made = consultation({ join: async (name) => fakeRoom(name), dial: dialInFlight(leg.answered) });
    // The room's watch saw the person answer before the dial's own answer came back.
    await giveUp(made, 'briefing');
    made.calls.length = 0;
    leg.answer(true);
    await sleep(1200);
    expect(made.calls).toEqual([]);
  });
});
